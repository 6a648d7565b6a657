// Encryption at rest of secret values in etcd (config vars, release config snapshots, later service
// credentials): AES-256-GCM with a key file $YB_DATA_DIR/secret.key (0600), created on first start.
// The key file may hold several keys during a rotation (first = current); envelopes name their key.
// Must never log or put plaintext or keys into an error message.
import { createCipheriv, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Store } from '../store/store.js';
import { YbError } from '../shared/errors.js';
import { isSealed, kidOf, openSealed, parseSecretKeyFile, type Sealed } from '../shared/sealed.js';

export { isSealed, type Sealed };

export class SecretBox {
  private readonly keys: Map<string, Buffer>;
  private current: string;

  constructor(keys: Buffer[]) {
    if (keys.length === 0 || keys.some((k) => k.length !== 32)) throw new Error('SecretBox needs 32-byte keys');
    this.keys = new Map(keys.map((k) => [kidOf(k), k]));
    this.current = kidOf(keys[0]!);
  }

  get kid(): string {
    return this.current;
  }

  /** Encrypts JSON-serialisable `value`; `context` (e.g. the app name) is bound as associated data. */
  seal(value: unknown, context: string): Sealed {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.current)!, iv);
    cipher.setAAD(Buffer.from(context));
    const data = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return {
      $sealed: 'aes-256-gcm',
      kid: this.current,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      data: data.toString('base64'),
      ctx: context,
    };
  }

  open<T>(sealed: Sealed, context: string): T {
    const key = this.keys.get(sealed.kid);
    if (!key) throw new YbError('YB_ERR_INTERNAL', `a secret is sealed with key ${sealed.kid}, which is not in secret.key`);
    try {
      return openSealed<T>(key, sealed, context);
    } catch (err) {
      throw new YbError('YB_ERR_INTERNAL', 'a secret in etcd could not be decrypted (wrong key or tampered value)', { cause: (err as Error).name });
    }
  }

  /** A box whose current key is `key`, still able to open what the old keys sealed. */
  withNewKey(key: Buffer): SecretBox {
    return new SecretBox([key, ...this.keys.values()]);
  }

  /** Keeps only the current key. */
  currentOnly(): SecretBox {
    return new SecretBox([this.keys.get(this.current)!]);
  }

  keyFileText(): string {
    const ordered = [this.keys.get(this.current)!, ...[...this.keys.entries()].filter(([k]) => k !== this.current).map(([, v]) => v)];
    return ordered.map((k) => `yb-secret-key-v1 ${k.toString('base64')}\n`).join('');
  }
}

export function secretKeyFile(dataDir: string): string {
  return join(dataDir, 'secret.key');
}

/** Reads $dataDir/secret.key, creating it (0600) with a fresh key on first start. */
export async function loadSecretBox(dataDir: string): Promise<SecretBox> {
  const file = secretKeyFile(dataDir);
  if (!existsSync(file))
    await writeFile(file, `yb-secret-key-v1 ${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
  return new SecretBox(parseSecretKeyFile(await readFile(file, 'utf8'), file));
}

async function writeKeyFile(dataDir: string, box: SecretBox): Promise<void> {
  const file = secretKeyFile(dataDir);
  await writeFile(`${file}.tmp`, box.keyFileText(), { mode: 0o600 });
  await rename(`${file}.tmp`, file);
}

// The control plane's box, per store (one store per process in practice; tests may have several).
const boxes = new WeakMap<Store, SecretBox>();

export function installSecretBox(store: Store, box: SecretBox): void {
  boxes.set(store, box);
}

export function secretBoxOf(store: Store): SecretBox | undefined {
  return boxes.get(store);
}

/** Seals config vars of `app` when a box is installed (always, in ybd). */
export function sealFor(store: Store, value: unknown, context: string): unknown {
  const box = boxes.get(store);
  return box ? box.seal(value, context) : value;
}

/** Opens a sealed value; plain values (written before encryption existed) pass through. */
export function openFor<T>(store: Store, value: unknown, context: string): T {
  if (!isSealed(value)) return value as T;
  const box = boxes.get(store);
  if (!box) throw new YbError('YB_ERR_INTERNAL', 'a secret is sealed but no secret key is loaded');
  return box.open<T>(value, context);
}

/** The context a sealed value at `key` (after the prefix) was sealed with, for envelopes that do not carry it. */
function legacyContext(rel: string): string | null {
  const app = /^apps\/([^/]+)\/(config|releases\/\d+)$/.exec(rel);
  if (app) return `config:${app[1]}`;
  const service = /^services\/([^/]+)$/.exec(rel);
  return service ? `service:${service[1]}` : null;
}

/** Where an app's config sits in plaintext in this entry: null = the whole value, a field name, or undefined (none). */
function plainSecret(rel: string, value: unknown): string | null | undefined {
  if (/^apps\/[^/]+\/config$/.test(rel)) return isSealed(value) ? undefined : null;
  if (/^apps\/[^/]+\/releases\/\d+$/.test(rel) && typeof value === 'object' && value !== null) {
    const config = (value as { config?: unknown }).config;
    return config !== undefined && !isSealed(config) ? 'config' : undefined;
  }
  return undefined;
}

/** Sealed values of one etcd entry: the whole value, or fields of it (`config`, `connection`, …). */
function sealedParts(value: unknown): Array<{ field: string | null; sealed: Sealed }> {
  if (isSealed(value)) return [{ field: null, sealed: value }];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  return Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => isSealed(v))
    .map(([field, v]) => ({ field, sealed: v as Sealed }));
}

/**
 * `yb admin:rotate-key`: a new current key; every sealed value under the prefix (config, release snapshots,
 * service credentials, …) and the app config still in plaintext re-sealed with it; then the old keys are
 * dropped from the key file. Returns how many values were re-sealed.
 */
export async function rotateSecretKey(store: Store, dataDir: string): Promise<{ kid: string; resealed: number }> {
  const old = boxes.get(store);
  if (!old) throw new YbError('YB_ERR_INTERNAL', 'no secret key is loaded');
  const next = old.withNewKey(randomBytes(32));
  await writeKeyFile(dataDir, next); // both keys on disk until every value is re-sealed
  boxes.set(store, next);
  const prefix = store.keys.prefix;
  const skip = /^(events|endpoints|routers|routes|locks)\//;
  let resealed = 0;
  for (let pass = 0; pass < 2; pass++) {
    // a second pass catches values written with the old key meanwhile
    for (const e of await store.list<unknown>(prefix)) {
      const rel = e.key.slice(prefix.length);
      if (skip.test(rel)) continue;
      const plain = plainSecret(rel, e.value); // app config written before encryption existed
      if (plain === undefined && !sealedParts(e.value).some((p) => p.sealed.kid !== next.kid)) continue;
      for (let attempt = 0; attempt < 5; attempt++) {
        const entry = await store.getEntry<unknown>(e.key);
        if (!entry) break;
        let value: unknown = entry.value;
        const still = plainSecret(rel, value);
        if (still === null) value = next.seal(value, legacyContext(rel)!);
        else if (still !== undefined)
          value = { ...(value as Record<string, unknown>), [still]: next.seal((value as Record<string, unknown>)[still], legacyContext(rel)!) };
        for (const { field, sealed } of sealedParts(value)) {
          if (sealed.kid === next.kid) continue;
          const ctx = sealed.ctx ?? legacyContext(rel);
          if (!ctx) throw new YbError('YB_ERR_INTERNAL', `a sealed value at ${rel} has no context; cannot re-seal it`);
          const again = next.seal(next.open(sealed, ctx), ctx);
          value = field === null ? again : { ...(value as Record<string, unknown>), [field]: again };
        }
        if (await store.replace(e.key, value, entry.modRevision)) {
          resealed++;
          break;
        }
      }
    }
  }
  const only = next.currentOnly();
  await writeKeyFile(dataDir, only);
  boxes.set(store, only);
  return { kid: only.kid, resealed };
}
