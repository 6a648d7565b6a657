// Users and their optional passwords. Passwords are stored only as scrypt hashes under credentials/<user>,
// apart from the user record, so listing users can never leak one. Never logs or returns a password.
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { Store } from '../store/store.js';
import { YbError } from '../shared/errors.js';
import { checkPassword, checkUserName } from './names.js';
import { revokeAllTokens, type User, type TeamRecord } from './tokens.js';

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 } as const;

function scrypt(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCb(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))));
}

function credentialsKey(store: Store, user: string): string {
  return `${store.keys.prefix}credentials/${user}`;
}

/** `scrypt$N$r$p$salt$hash` (base64url parts). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p, maxmem: 64 * 1024 * 1024 });
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, hash] = stored.split('$');
  if (alg !== 'scrypt' || !salt || !hash) return false;
  const want = Buffer.from(hash, 'base64url');
  const got = await scrypt(password, Buffer.from(salt, 'base64url'), want.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: 64 * 1024 * 1024 });
  return got.length === want.length && timingSafeEqual(got, want);
}

export async function getUser(store: Store, name: string): Promise<User | null> {
  if (!/^[a-z0-9-]{1,64}$/.test(name)) return null;
  return store.get<User>(store.keys.user(name));
}

export async function listUsers(store: Store): Promise<User[]> {
  return (await store.list<User>(store.keys.usersPrefix())).map((e) => e.value).sort((a, b) => a.name.localeCompare(b.name));
}

export async function createUser(store: Store, name: string, opts: { admin?: boolean; password?: string } = {}): Promise<User> {
  checkUserName(name);
  if (opts.password !== undefined) checkPassword(opts.password);
  const user: User = { name, admin: opts.admin ?? false, createdAt: new Date().toISOString() };
  if (!(await store.create(store.keys.user(name), user))) throw new YbError('YB_ERR_CONFLICT', `a user named "${name}" already exists`);
  if (opts.password !== undefined) await setPassword(store, name, opts.password);
  return user;
}

export async function setPassword(store: Store, name: string, password: string): Promise<void> {
  checkPassword(password);
  await store.put(credentialsKey(store, name), { hash: await hashPassword(password), updatedAt: new Date().toISOString() });
}

/** The user when name and password match; null otherwise (unknown users cost the same scrypt work). */
export async function checkLogin(store: Store, name: string, password: string): Promise<User | null> {
  const user = await getUser(store, name);
  const cred = user ? await store.get<{ hash: string }>(credentialsKey(store, name)) : null;
  const ok = await verifyPassword(password, cred?.hash ?? 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
  return user && cred && ok ? user : null;
}

/** Removes a user with their tokens, SSH keys, password and team memberships. */
export async function deleteUser(store: Store, name: string): Promise<boolean> {
  const user = await getUser(store, name);
  if (!user) return false;
  await revokeAllTokens(store, name);
  for (const e of await store.list<{ user: string }>(store.keys.sshKeysPrefix())) if (e.value.user === name) await store.delete(e.key);
  for (const e of await store.list<TeamRecord>(store.keys.teamsPrefix())) {
    if (e.value.members[name]) {
      const { [name]: _gone, ...members } = e.value.members;
      await store.replace(e.key, { ...e.value, members }, e.modRevision);
    }
  }
  await store.delete(credentialsKey(store, name));
  await store.delete(store.keys.user(name));
  return true;
}
