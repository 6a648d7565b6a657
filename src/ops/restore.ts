// `ybd restore FILE` (docs/architecture.md §9): puts a platform backup's state onto a fresh data dir and an empty etcd
// prefix, before the platform starts: the archive proven whole first (restore-archive.ts), then the keys, then the
// files. Bringing the apps back (images, services) is bring-back.ts's, on the start that follows; a marker file
// carries the restore across a kill, so running `ybd restore` again or starting ybd completes it.
import { existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { createReadStream } from 'node:fs';
import type { PlatformConfig } from '../config/load.js';
import type { Logger } from '../shared/logger.js';
import { YbError } from '../shared/errors.js';
import { Store } from '../store/store.js';
import { LAYOUT_VERSION } from '../store/migrations/steps.js';
import { ensureRepo } from '../git/repos.js';
import { startEmbeddedEtcd, type EmbeddedEtcd } from '../store/embedded-etcd.js';
import { checkLayout, ETCD_KEYS_NAME, restoredKey, type BackupManifest, type KeyLine } from './backup-manifest.js';
import { extractBackup } from './restore-archive.js';

/** The marker of a restore in progress; `phase` "state" until keys and files are in, then "apps" until bring-back ends. */
export const RESTORE_MARKER = 'restore.json';

export interface RestoreMarker {
  phase: 'state' | 'apps';
  from: string;
  /** Services whose backup is loaded (bring-back.ts): a start after a kill loads the others only. */
  servicesDone?: string[];
  manifest: Omit<BackupManifest, 'parts'>;
}

export function readRestoreMarker(dataDir: string): RestoreMarker | null {
  const file = join(dataDir, RESTORE_MARKER);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as RestoreMarker) : null;
}

export async function writeRestoreMarker(dataDir: string, marker: RestoreMarker | null): Promise<void> {
  const file = join(dataDir, RESTORE_MARKER);
  if (!marker) return rm(file, { force: true });
  await writeFile(`${file}.tmp`, JSON.stringify(marker, null, 2), { mode: 0o600 });
  await rename(`${file}.tmp`, file);
}

// Data-dir files that say a platform already lives there.
const IN_USE = ['secret.key', 'admin-token', 'repos'];
const TXN_OPS = 100; // etcd's default --max-txn-ops is 128

/** Restores `file` into the configured data dir and etcd prefix; resolves to the manifest. Throws YbError(BAD_REQUEST/CONFLICT) in one sentence. */
export async function restorePlatform(cfg: PlatformConfig, file: string, log: Logger): Promise<BackupManifest> {
  const dataDir = resolve(cfg.dataDir);
  const resuming = readRestoreMarker(dataDir);
  if (resuming?.phase === 'apps') {
    throw new YbError(
      'YB_ERR_CONFLICT',
      `${dataDir} already holds the restored state of a backup made ${resuming.manifest.createdAt}; start ybd to bring its apps back`,
    );
  }
  const used = IN_USE.find((f) => existsSync(join(dataDir, f)));
  if (used && !resuming) {
    throw new YbError('YB_ERR_CONFLICT', `${dataDir} is already a platform's data dir (it holds ${used}); restore onto a fresh YB_DATA_DIR`);
  }
  await mkdir(join(dataDir, 'logs'), { recursive: true, mode: 0o700 });

  // The whole archive is unpacked and checked before anything of the platform is touched.
  const staging = join(dataDir, 'restore-staging');
  await rm(staging, { recursive: true, force: true });
  log.info({ file }, 'checking the backup');
  const manifest = await extractBackup(resolve(file), staging, { maxBytes: cfg.restoreMaxMiB * 1024 * 1024, maxEntries: 5_000_000 });
  try {
    checkLayout(manifest, LAYOUT_VERSION);
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }

  const etcd = await restoreEtcd(cfg, dataDir);
  const store = new Store(etcd.endpoints, cfg.etcdPrefix);
  try {
    await store.ping();
    const present = await store.count(store.keys.prefix);
    if (present > 0 && !resuming) {
      const apps = (await store.keysInRange(store.keys.prefix + 'apps/', store.keys.prefix + 'apps0', 100_000)).filter((k) => /apps\/[^/]+$/.test(k)).length;
      throw new YbError(
        'YB_ERR_CONFLICT',
        `etcd already holds a platform under ${store.keys.prefix} (${present} keys, ${apps} apps); restore onto a fresh platform: an empty YB_ETCD_PREFIX and data dir`,
      );
    }
    const { parts: _parts, ...summary } = manifest;
    await writeRestoreMarker(dataDir, { phase: 'state', from: resolve(file), manifest: summary });
    const written = await putKeys(store, join(staging, ETCD_KEYS_NAME));
    log.info({ keys: written, revision: manifest.revision }, 'etcd state restored');
    await moveData(staging, dataDir);
    await writeRestoreMarker(dataDir, { phase: 'apps', from: resolve(file), manifest: summary });
  } finally {
    store.close();
    await etcd.embedded?.stop(); // the next start runs it again as ybd's child
  }
  await rm(staging, { recursive: true, force: true });
  return manifest;
}

/** YB_ETCD_ENDPOINTS, or the embedded etcd started on the fresh data dir; one already answering on its port is a platform's, never taken over. */
async function restoreEtcd(cfg: PlatformConfig, dataDir: string): Promise<{ endpoints: string[]; embedded: EmbeddedEtcd | null }> {
  if (cfg.etcdEndpoints.length > 0) return { endpoints: cfg.etcdEndpoints, embedded: null };
  const url = `http://127.0.0.1:${cfg.etcdClientPort}`;
  const answering = await fetch(`${url}/health`, { signal: AbortSignal.timeout(800) }).then(
    (r) => r.ok,
    () => false, // nothing listens there: the port is free for this restore's etcd
  );
  if (answering)
    throw new YbError('YB_ERR_CONFLICT', `an etcd already answers at ${url} (a running platform's); stop it, or restore with another YB_ETCD_PORT`);
  const embedded = await startEmbeddedEtcd({
    dataDir: join(dataDir, 'etcd'),
    clientPort: cfg.etcdClientPort,
    stdio: openSync(join(dataDir, 'logs', 'etcd.log'), 'a'),
  });
  return { endpoints: [embedded.endpoint], embedded };
}

/**
 * Writes the backup's keys under this platform's prefix in transactions, the layout version last: a restore cut short
 * before it is recognisable (no version) and written again whole by the next attempt.
 */
async function putKeys(store: Store, file: string): Promise<number> {
  let batch: Array<{ key: string; value: string }> = [];
  let version: string | null = null;
  let n = 0;
  const flush = async () => {
    if (!batch.length) return;
    const success = batch.map(({ key, value }) => ({ request_put: { key: Buffer.from(key), value: Buffer.from(value) } }));
    await store.client.kv.txn({ success });
    n += batch.length;
    batch = [];
  };
  for await (const raw of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    if (!raw) continue;
    const { k, v } = JSON.parse(raw) as KeyLine;
    if (typeof k !== 'string' || typeof v !== 'string' || !k || k.includes('\0'))
      throw new YbError('YB_ERR_BAD_REQUEST', 'the backup holds a key that is not one ybd wrote');
    if (!restoredKey(k)) continue;
    if (k === 'schema/version') {
      version = v;
      continue;
    }
    batch.push({ key: store.keys.prefix + k, value: v });
    if (batch.length >= TXN_OPS) await flush();
  }
  if (version !== null) batch.push({ key: store.keys.layoutVersion(), value: version });
  await flush();
  return n;
}

/** Moves the staged data files into the data dir (same file system: renames); repos get ybd's hook again. */
async function moveData(staging: string, dataDir: string): Promise<void> {
  const data = join(staging, 'data');
  if (!existsSync(data)) return;
  for (const name of await readdir(data)) {
    if (name === 'repos' || name === 'backups') continue;
    await rename(join(data, name), join(dataDir, name));
  }
  for (const dir of ['repos', 'backups']) {
    if (!existsSync(join(data, dir))) continue;
    await mkdir(join(dataDir, dir), { recursive: true, mode: 0o700 });
    for (const name of await readdir(join(data, dir))) {
      await rm(join(dataDir, dir, name), { recursive: true, force: true }); // a restore cut short left a copy
      await rename(join(data, dir, name), join(dataDir, dir, name));
      if (dir === 'repos') {
        await mkdir(join(dataDir, dir, name, 'hooks'), { recursive: true });
        await ensureRepo(dataDir, name.replace(/\.git$/, ''));
      }
    }
  }
}
