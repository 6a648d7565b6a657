// The platform backup's format (docs/architecture.md §9): its manifest, the names an entry may have, and the checks
// a restore makes of an archive against its manifest. Pure: reads no file and knows no tar library.
import { YbError } from '../shared/errors.js';

/** Version of the archive layout itself (not of the etcd state layout, which the manifest records beside it). */
export const BACKUP_FORMAT = 1;
export const MANIFEST_NAME = 'manifest.json';
/** Every key under the instance's prefix at one revision, relative to the prefix, one JSON object a line. */
export const ETCD_KEYS_NAME = 'etcd/keys.jsonl';
/** etcd's own snapshot (Maintenance.Snapshot) of the embedded etcd, for a whole-member restore with etcdutl. */
export const ETCD_SNAPSHOT_NAME = 'etcd/snapshot.db';

export interface PartRecord {
  bytes: number;
  sha256: string;
}

export interface BackupManifest {
  format: number;
  /** The etcd state layout (store/migrations) of the keys. */
  layout: number;
  instance: string;
  prefix: string;
  createdAt: string;
  by: string;
  /** The revision the keys (and the snapshot, when there is one) were read at. */
  revision: number;
  counts: { keys: number; apps: number; services: number; repos: number; serviceBackups: number };
  /** Every entry of the archive but the manifest, by name. */
  parts: Record<string, PartRecord>;
}

/** One line of etcd/keys.jsonl: the key relative to the prefix and the value as etcd held it (UTF-8 JSON text). */
export interface KeyLine {
  k: string;
  v: string;
}

// data/ holds only what docs/architecture.md §3 puts under $YB_DATA_DIR that a restore needs; names as ybd writes them.
const DATA_FILES = new Set(['data/secret.key', 'data/admin-token', 'data/ssh_host_ed25519_key']);
// Inside a repo any segment git allows (a tenant names branches): traversal is ruled out by the segment check below,
// control characters and backslashes by noOddCharacters.
const REPO = /^data\/repos\/[a-z0-9][a-z0-9-]{0,62}\.git\/.+$/;
const SERVICE_BACKUP = /^data\/backups\/[a-z0-9][a-z0-9-]{0,62}\/\d{8}T\d{6}Z-[0-9a-f]{4}\.[a-z]{2,8}$/;

/**
 * Whether `name` may be an entry of a backup: one of the fixed names, or a file of a repo or a service backup.
 * Anything else (absolute, `..`, backslashes, empty segments, other folders) is refused, so extraction can never
 * leave the staging directory whatever the archive says.
 */
export function allowedEntryName(name: string): boolean {
  if (name.length > 512 || !noOddCharacters(name) || name.split('/').some((s) => s === '' || s === '.' || s === '..')) return false;
  return name === ETCD_KEYS_NAME || name === ETCD_SNAPSHOT_NAME || DATA_FILES.has(name) || REPO.test(name) || SERVICE_BACKUP.test(name);
}

function noOddCharacters(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c === 0x5c) return false;
  }
  return true;
}

/** The manifest as read from an archive, or a BAD_REQUEST that says what is wrong with it. */
export function parseManifest(text: string): BackupManifest {
  let m: BackupManifest;
  try {
    m = JSON.parse(text) as BackupManifest;
  } catch {
    throw new YbError('YB_ERR_BAD_REQUEST', 'the backup manifest is not JSON; the archive is damaged');
  }
  if (!m || typeof m !== 'object' || !Number.isInteger(m.format) || !Number.isInteger(m.layout) || typeof m.parts !== 'object' || !m.parts) {
    throw new YbError('YB_ERR_BAD_REQUEST', 'the backup manifest lacks its format, layout or parts; the archive is damaged');
  }
  if (m.format > BACKUP_FORMAT) {
    throw new YbError('YB_ERR_BAD_REQUEST', `the backup has format ${m.format}, newer than this ybd reads (${BACKUP_FORMAT}); restore it with a newer ybd`);
  }
  for (const [name, p] of Object.entries(m.parts)) {
    if (!allowedEntryName(name) || !Number.isSafeInteger(p?.bytes) || p.bytes < 0 || !/^[0-9a-f]{64}$/.test(String(p?.sha256))) {
      throw new YbError('YB_ERR_BAD_REQUEST', `the backup manifest lists a part it may not hold ("${name.slice(0, 80)}")`);
    }
  }
  return m;
}

/** Refuses a layout newer than this ybd knows: restoring it would hand state to code that cannot read it. */
export function checkLayout(m: BackupManifest, known: number): void {
  if (m.layout > known) {
    throw new YbError(
      'YB_ERR_BAD_REQUEST',
      `the backup holds state layout ${m.layout}, newer than this ybd knows (${known}); restore it with the ybd that made it (${m.by})`,
    );
  }
}

/** What was extracted must be exactly what the manifest lists, byte for byte; throws on the first difference. */
export function checkParts(m: BackupManifest, found: Map<string, PartRecord>): void {
  for (const [name, got] of found) {
    const want = m.parts[name];
    if (!want) throw new YbError('YB_ERR_BAD_REQUEST', `the backup holds "${name.slice(0, 80)}", which its manifest does not list; it was altered`);
    if (want.bytes !== got.bytes || want.sha256 !== got.sha256) {
      throw new YbError('YB_ERR_BAD_REQUEST', `"${name.slice(0, 80)}" in the backup does not match its manifest (sha256 or size); it was altered or damaged`);
    }
  }
  for (const name of Object.keys(m.parts)) {
    if (!found.has(name)) throw new YbError('YB_ERR_BAD_REQUEST', `the backup lacks "${name.slice(0, 80)}", which its manifest lists; it is truncated`);
  }
  if (!found.has(ETCD_KEYS_NAME)) throw new YbError('YB_ERR_BAD_REQUEST', 'the backup holds no etcd keys; it is not a platform backup');
}

/** Keys a restore leaves out: what live processes write and lease (endpoints, routers, locks), never state. */
export function restoredKey(relative: string): boolean {
  return !/^(?:endpoints|routers|locks)\//.test(relative);
}
