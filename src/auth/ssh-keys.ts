// SSH public keys of users, stored as keys/<fingerprint> (base64url SHA-256 of the key blob) so the SSH server
// maps an offered key to a user with one read. Only public keys are accepted; private keys are refused.
import { createHash } from 'node:crypto';
import ssh2 from 'ssh2';
import type { Store } from '../store/store.js';
import { YbError } from '../shared/errors.js';

export interface SshKeyRecord {
  /** As `ssh-keygen -lf` prints it: SHA256:<base64, no padding>. */
  fingerprint: string;
  user: string;
  type: string;
  comment: string;
  publicKey: string;
  createdAt: string;
}

const ALLOWED_TYPES = new Set(['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-rsa']);

/** The fingerprint of a public key blob: `SHA256:…` as OpenSSH shows it, and the id used in the etcd key. */
export function fingerprintOf(blob: Buffer): { fingerprint: string; id: string } {
  const digest = createHash('sha256').update(blob).digest();
  return { fingerprint: `SHA256:${digest.toString('base64').replace(/=+$/, '')}`, id: digest.toString('base64url') };
}

/** Accepts `SHA256:<base64>` or the bare base64/base64url digest; returns the etcd id, or null. */
export function idFromFingerprint(fp: string): string | null {
  const b64 = fp
    .replace(/^SHA256:/, '')
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
  return /^[A-Za-z0-9_-]{43}$/.test(b64) ? b64 : null;
}

/** Parses one OpenSSH public key line. Pure; throws YB_ERR_BAD_REQUEST with a clear message. */
export function parsePublicKey(line: string): { type: string; blob: Buffer; comment: string; normalized: string } {
  const text = line.trim();
  if (/PRIVATE KEY/.test(text)) throw new YbError('YB_ERR_BAD_REQUEST', 'that is a private key; give the public key (the .pub file)');
  const parts = text.split(/\s+/);
  if (parts.length < 2 || !ALLOWED_TYPES.has(parts[0]!))
    throw new YbError(
      'YB_ERR_BAD_REQUEST',
      `not an OpenSSH public key: expected "<type> <base64> [comment]" with type one of ${[...ALLOWED_TYPES].join(', ')}`,
    );
  const parsed = ssh2.utils.parseKey(`${parts[0]} ${parts[1]}`);
  if (parsed instanceof Error || Array.isArray(parsed) || parsed.isPrivateKey()) throw new YbError('YB_ERR_BAD_REQUEST', `not a valid ${parts[0]} public key`);
  if (parsed.type !== parts[0]) throw new YbError('YB_ERR_BAD_REQUEST', `the key data is ${parsed.type}, not ${parts[0]}`);
  const comment = parts.slice(2).join(' ').slice(0, 100);
  return { type: parsed.type, blob: parsed.getPublicSSH(), comment, normalized: `${parts[0]} ${parts[1]}` };
}

function keyOf(store: Store, id: string): string {
  return store.keys.sshKey(id);
}

export async function addSshKey(store: Store, user: string, line: string): Promise<SshKeyRecord> {
  const k = parsePublicKey(line);
  const { fingerprint, id } = fingerprintOf(k.blob);
  const rec: SshKeyRecord = { fingerprint, user, type: k.type, comment: k.comment, publicKey: k.normalized, createdAt: new Date().toISOString() };
  if (!(await store.create(keyOf(store, id), rec))) throw new YbError('YB_ERR_CONFLICT', `the key ${fingerprint} is already registered`);
  return rec;
}

export async function listSshKeys(store: Store, user: string): Promise<SshKeyRecord[]> {
  return (await store.list<SshKeyRecord>(store.keys.sshKeysPrefix())).map((e) => e.value).filter((k) => k.user === user);
}

/** Removes `user`'s key by fingerprint or comment; null when the user has no such key. */
export async function removeSshKey(store: Store, user: string, which: string): Promise<SshKeyRecord | null> {
  const id = idFromFingerprint(which);
  for (const e of await store.list<SshKeyRecord>(store.keys.sshKeysPrefix())) {
    if (e.value.user !== user) continue;
    if ((id && e.key === keyOf(store, id)) || (e.value.comment && e.value.comment === which)) {
      await store.delete(e.key);
      return e.value;
    }
  }
  return null;
}

/** The key record of an offered public key blob, or null. */
export async function keyForBlob(store: Store, blob: Buffer): Promise<SshKeyRecord | null> {
  return store.get<SshKeyRecord>(keyOf(store, fingerprintOf(blob).id));
}
