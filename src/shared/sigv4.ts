// AWS Signature Version 4 for S3-compatible stores (docs/architecture.md §9, off-site service backups): the canonical
// request, the string to sign and the Authorization header. Pure: the caller gives the time and the payload's hash;
// nothing here touches the network. Checked against AWS's published examples (test/unit/shared/sigv4.test.ts).
import { createHash, createHmac } from 'node:crypto';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface SignInput {
  method: string;
  /** The path as sent, already percent-encoded (see encodePath). */
  path: string;
  /** Query parameters (unencoded); signed sorted and encoded. */
  query?: Record<string, string>;
  /** Headers to send and sign (host included); names in any case. */
  headers: Record<string, string>;
  /** Hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`. */
  payloadHash: string;
  region: string;
  service?: string;
  /** `YYYYMMDDTHHMMSSZ`. */
  amzDate: string;
}

export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** RFC 3986 encoding as SigV4 wants it: everything but A-Z a-z 0-9 - . _ ~ (and `/` when `keepSlash`). */
export function uriEncode(text: string, keepSlash = false): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-._~]/.test(c) || (keepSlash && c === '/')) out += c;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The path of an object (path-style: `/bucket/key`), encoded once, as both sent and signed. */
export function encodePath(bucket: string, key = ''): string {
  return `/${uriEncode(bucket)}${key ? `/${uriEncode(key, true)}` : ''}`;
}

export function canonicalQuery(query: Record<string, string> = {}): string {
  return Object.entries(query)
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** `YYYYMMDDTHHMMSSZ` of a time. */
export function amzDate(at: Date): string {
  return at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

/** The canonical request and the signed header list (exported for the tests' intermediate checks). */
export function canonicalRequest(input: SignInput): { text: string; signedHeaders: string } {
  const headers = Object.entries(input.headers)
    .map(([k, v]) => [k.toLowerCase(), v.trim().replace(/\s+/g, ' ')] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const signedHeaders = headers.map(([k]) => k).join(';');
  const text = [input.method, input.path, canonicalQuery(input.query), headers.map(([k, v]) => `${k}:${v}\n`).join(''), signedHeaders, input.payloadHash].join(
    '\n',
  );
  return { text, signedHeaders };
}

/** The value of the Authorization header for the request. */
export function authorization(input: SignInput, creds: Credentials): string {
  const date = input.amzDate.slice(0, 8);
  const service = input.service ?? 's3';
  const scope = `${date}/${input.region}/${service}/aws4_request`;
  const { text, signedHeaders } = canonicalRequest(input);
  const toSign = ['AWS4-HMAC-SHA256', input.amzDate, scope, sha256Hex(text)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${creds.secretAccessKey}`, date), input.region), service), 'aws4_request');
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  return `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
}
