// The sealed-value envelope of secrets at rest (AES-256-GCM, see auth/secrets.ts) and the one function that
// opens it. Lives in shared/ so the router can open TLS private keys without importing the control plane.
// Must never log or put plaintext or keys into an error message.
import { createDecipheriv, createHash } from 'node:crypto';

/** What a sealed value looks like in etcd. */
export interface Sealed {
  $sealed: 'aes-256-gcm';
  kid: string;
  iv: string;
  tag: string;
  data: string;
  /** The associated data it was sealed with (so rotation can re-seal it; opening still demands the caller's). */
  ctx?: string;
}

export function isSealed(v: unknown): v is Sealed {
  return typeof v === 'object' && v !== null && (v as Sealed).$sealed === 'aes-256-gcm' && typeof (v as Sealed).data === 'string';
}

/** The key id an envelope names: the first 12 hex digits of the key's SHA-256. */
export function kidOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 12);
}

export const SECRET_KEY_LINE = /^yb-secret-key-v1 ([A-Za-z0-9+/]{43}=)$/;

/** The keys of a secret key file's text (one `yb-secret-key-v1 <base64>` line each); throws on any other line. */
export function parseSecretKeyFile(text: string, file: string): Buffer[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const m = SECRET_KEY_LINE.exec(l);
      if (!m) throw new Error(`${file} is not a Yunbang secret key file`);
      return Buffer.from(m[1]!, 'base64');
    });
}

/** Decrypts and JSON-parses `sealed` with `key`, checking `context` as associated data. Throws a plain Error. */
export function openSealed<T>(key: Buffer, sealed: Sealed, context: string): T {
  const d = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
  d.setAAD(Buffer.from(context));
  d.setAuthTag(Buffer.from(sealed.tag, 'base64'));
  return JSON.parse(Buffer.concat([d.update(Buffer.from(sealed.data, 'base64')), d.final()]).toString('utf8')) as T;
}
