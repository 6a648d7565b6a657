// Users and API tokens: tokens are random, shown once, and stored only as their SHA-256 (tokens/<sha256>).
// Owns the first-start admin bootstrap. Must never log or return a token other than at creation.
import { createHash, randomBytes } from 'node:crypto';
import { writeFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Store } from '../store/store.js';

export type Role = 'owner' | 'admin' | 'member' | 'viewer';

export interface User {
  name: string;
  /** Platform administrators may act on every team. */
  admin: boolean;
  createdAt: string;
}

export interface TeamRecord {
  name: string;
  members: Record<string, Role>;
  createdAt: string;
}

export interface TokenRecord {
  user: string;
  description: string;
  createdAt: string;
  id: string;
}

export const DEFAULT_TEAM = 'main';

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function newToken(): string {
  return `yb_${randomBytes(24).toString('base64url')}`;
}

export async function createToken(store: Store, user: string, description: string): Promise<{ token: string; record: TokenRecord }> {
  const token = newToken();
  const hash = hashToken(token);
  const record: TokenRecord = { user, description, createdAt: new Date().toISOString(), id: hash.slice(0, 12) };
  await store.put(store.keys.token(hash), record);
  return { token, record };
}

/** Tokens of `user` (records only: the tokens themselves are never stored). */
export async function listTokens(store: Store, user: string): Promise<TokenRecord[]> {
  return (await store.list<TokenRecord>(store.keys.tokensPrefix()))
    .map((e) => e.value)
    .filter((t) => t.user === user)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/** Deletes the token of `user` with this id; false when there is none (another user's token counts as none). */
export async function revokeToken(store: Store, user: string, id: string): Promise<TokenRecord | null> {
  if (!/^[0-9a-f]{12}$/.test(id)) return null;
  for (const e of await store.list<TokenRecord>(store.keys.tokensPrefix())) {
    if (e.value.id === id && e.value.user === user) {
      await store.delete(e.key);
      return e.value;
    }
  }
  return null;
}

/** Deletes every token of `user` (user removal). */
export async function revokeAllTokens(store: Store, user: string): Promise<number> {
  let n = 0;
  for (const e of await store.list<TokenRecord>(store.keys.tokensPrefix())) if (e.value.user === user) n += await store.delete(e.key);
  return n;
}

/** The user a token belongs to, or null when the token is unknown or its user is gone. */
export async function authenticate(store: Store, token: string): Promise<User | null> {
  if (!/^[\x21-\x7e]{8,200}$/.test(token)) return null;
  const rec = await store.get<TokenRecord>(store.keys.token(hashToken(token)));
  if (!rec) return null;
  return store.get<User>(store.keys.user(rec.user));
}

/**
 * First start: creates user `admin`, team `main` and an API token written to `<dataDir>/admin-token` (0600).
 * Later starts keep both; a missing or stale token file gets a fresh token.
 */
export async function ensureAdmin(store: Store, dataDir: string): Promise<{ created: boolean; tokenFile: string }> {
  const tokenFile = join(dataDir, 'admin-token');
  const now = new Date().toISOString();
  const created = await store.create(store.keys.user('admin'), { name: 'admin', admin: true, createdAt: now } satisfies User);
  await store.create(store.keys.team(DEFAULT_TEAM), { name: DEFAULT_TEAM, members: { admin: 'owner' }, createdAt: now } satisfies TeamRecord);
  let existing: string | null = null;
  try {
    existing = (await readFile(tokenFile, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const valid = existing ? (await authenticate(store, existing))?.name === 'admin' : false;
  if (!valid) {
    const { token } = await createToken(store, 'admin', 'admin token (first start)');
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
  }
  return { created, tokenFile };
}
