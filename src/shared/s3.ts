// A small client for S3-compatible object stores (AWS S3, MinIO, versitygw, SeaweedFS, …): PUT of a file (streamed,
// multipart beyond a part size), GET into a file, LIST by prefix and DELETE, path-style, signed with SigV4 (sigv4.ts).
// Every connection goes through the outbound guard (outbound-guard.ts): the endpoint is a tenant's, so it must not
// reach loopback or private hosts unless the operator allows them. Errors are one sentence; secrets never appear in them.
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { basename } from 'node:path';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { guardedLookup, literalRefusal } from './outbound-guard.js';
import { amzDate, authorization, type Credentials, EMPTY_SHA256, encodePath } from './sigv4.js';

export interface S3Endpoint extends Credentials {
  /** `https://s3.example.com` (or http for a store on a private network); path-style requests go to it. */
  endpoint: string;
  region: string;
}

export interface S3Options {
  /** Loopback and private addresses allowed (YB_OUTBOUND_PRIVATE). */
  allowPrivate: boolean;
  /** Files above this many bytes go up in parts of this size (S3's minimum part is 5 MiB). */
  partBytes?: number;
  timeoutMs?: number;
}

export interface S3Object {
  key: string;
  bytes: number;
}

/** A refusal or failure of the store, with its S3 error code when it gave one (`InvalidAccessKeyId`, `NoSuchKey`). */
export class S3Error extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message);
  }
}

const DEFAULT_PART = 64 * 1024 * 1024;
const MAX_XML = 8 * 1024 * 1024;

function xmlText(s: string): string {
  return s.replace(/&(lt|gt|quot|apos|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e]!);
}

function tag(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
  return m ? xmlText(m[1]!) : undefined;
}

/** The objects, truncation flag and continuation token of a ListObjectsV2 answer. Pure. */
export function parseList(xml: string): { objects: S3Object[]; next?: string } {
  const objects = [...xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)].map((m) => ({ key: tag(m[1]!, 'Key') ?? '', bytes: Number(tag(m[1]!, 'Size') ?? 0) }));
  const truncated = tag(xml, 'IsTruncated') === 'true';
  return { objects, next: truncated ? tag(xml, 'NextContinuationToken') : undefined };
}

/**
 * Opens a file to upload: never through a symbolic link, and only a regular file (the backup directory is writable from
 * a tenant's container, which must not make the platform upload a host file or block on a FIFO).
 */
async function openUpload(file: string): Promise<FileHandle> {
  const fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  if (!(await fh.stat()).isFile()) {
    await fh.close();
    throw new S3Error(`${basename(file)} is not a regular file; it is not uploaded`, 0, 'NotAFile');
  }
  return fh;
}

async function hashRange(file: string, start: number, end: number): Promise<string> {
  const h = createHash('sha256');
  const fh = await openUpload(file);
  try {
    if (end > start) for await (const chunk of fh.createReadStream({ start, end: end - 1, autoClose: false })) h.update(chunk as Buffer);
  } finally {
    await fh.close();
  }
  return h.digest('hex');
}

export class S3Client {
  private readonly base: URL;

  constructor(
    private readonly ep: S3Endpoint,
    private readonly opts: S3Options,
  ) {
    this.base = new URL(ep.endpoint);
  }

  /** One signed request; resolves to the response (status < 300) with its body unread, or throws an S3Error. */
  private async send(req: {
    method: string;
    bucket: string;
    key?: string;
    query?: Record<string, string>;
    body?: () => Readable | Buffer;
    bytes?: number;
    payloadHash?: string;
    headers?: Record<string, string>;
  }): Promise<IncomingMessage> {
    const refused = literalRefusal(this.base.hostname, this.opts.allowPrivate);
    if (refused) throw new S3Error(`the S3 endpoint ${refused.message}`, 0, 'Refused');
    const path = encodePath(req.bucket, req.key);
    const date = amzDate(new Date());
    const payloadHash = req.payloadHash ?? EMPTY_SHA256;
    const headers: Record<string, string> = {
      host: this.base.host,
      'x-amz-date': date,
      'x-amz-content-sha256': payloadHash,
      ...req.headers,
    };
    if (req.bytes !== undefined) headers['content-length'] = String(req.bytes);
    headers.authorization = authorization({ method: req.method, path, query: req.query, headers, payloadHash, region: this.ep.region, amzDate: date }, this.ep);
    const qs = new URLSearchParams(req.query ?? {}).toString();
    const send = this.base.protocol === 'https:' ? httpsRequest : httpRequest;
    const basePath = this.base.pathname.replace(/\/$/, '');
    return new Promise<IncomingMessage>((resolve, reject) => {
      const r = send(
        {
          host: this.base.hostname,
          port: this.base.port || undefined,
          method: req.method,
          path: `${basePath}${path}${qs ? `?${qs}` : ''}`,
          headers,
          lookup: guardedLookup(this.opts.allowPrivate),
          timeout: this.opts.timeoutMs ?? 120_000,
        },
        (res) => {
          if ((res.statusCode ?? 0) < 300) return resolve(res);
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.length < 64 && chunks.push(c));
          res.on('end', () => {
            const xml = Buffer.concat(chunks).toString('utf8');
            const code = tag(xml, 'Code') ?? `HTTP${res.statusCode}`;
            const message = (tag(xml, 'Message') ?? res.statusMessage ?? '').slice(0, 200);
            reject(new S3Error(`the S3 store answered ${res.statusCode} ${code}${message ? `: ${message}` : ''}`, res.statusCode ?? 0, code));
          });
          res.on('error', reject);
        },
      );
      r.on('timeout', () => r.destroy(new Error(`the S3 store at ${this.base.host} did not answer in time`)));
      r.on('error', (err) =>
        reject(err instanceof S3Error ? err : new S3Error(`the S3 store at ${this.base.host} is not reachable: ${err.message}`, 0, 'Unreachable')),
      );
      const body = req.body?.();
      if (!body) r.end();
      else if (Buffer.isBuffer(body)) r.end(body);
      else {
        body.on('error', (err) => r.destroy(err));
        body.pipe(r);
      }
    });
  }

  /** A small XML answer (a list page is ~250 KB at most): a store sending more is cut off, not buffered. */
  private async text(res: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const c of res) {
      n += (c as Buffer).length;
      if (n > MAX_XML) throw new S3Error(`the S3 store sent an answer larger than ${MAX_XML} bytes`, res.statusCode ?? 0, 'TooLarge');
      chunks.push(c as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  /** Uploads a file as `key`: one streamed PUT, or a multipart upload when it is larger than the part size. */
  async putFile(bucket: string, key: string, file: string): Promise<void> {
    const fh = await openUpload(file);
    const size = (await fh.stat()).size;
    await fh.close();
    const part = this.opts.partBytes ?? DEFAULT_PART;
    if (size <= part) {
      await this.putRange(bucket, key, file, 0, size);
      return;
    }
    const created = await this.text(await this.send({ method: 'POST', bucket, key, query: { uploads: '' } }));
    const uploadId = tag(created, 'UploadId');
    if (!uploadId) throw new S3Error('the S3 store did not start a multipart upload', 0, 'NoUploadId');
    try {
      const etags: string[] = [];
      for (let n = 1, start = 0; start < size; n++, start += part) {
        const res = await this.putRange(bucket, key, file, start, Math.min(size, start + part), { partNumber: String(n), uploadId });
        etags.push(res);
      }
      const xml = `<CompleteMultipartUpload>${etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
      const body = Buffer.from(xml);
      const done = await this.text(
        await this.send({
          method: 'POST',
          bucket,
          key,
          query: { uploadId },
          body: () => body,
          bytes: body.length,
          payloadHash: createHash('sha256').update(body).digest('hex'),
        }),
      );
      if (/<Error>/.test(done))
        throw new S3Error(`the S3 store failed to complete the upload: ${tag(done, 'Code') ?? 'unknown error'}`, 200, tag(done, 'Code') ?? 'Error');
    } catch (err) {
      await this.send({ method: 'DELETE', bucket, key, query: { uploadId } }).then(
        (r) => r.resume(),
        () => undefined, // the first failure is the one to report; an upload left open expires by the store's rules
      );
      throw err;
    }
  }

  /** PUTs bytes [start, end) of a file (the whole object, or one part); resolves to the ETag. */
  private async putRange(bucket: string, key: string, file: string, start: number, end: number, query?: Record<string, string>): Promise<string> {
    const hash = await hashRange(file, start, end);
    const fh = await openUpload(file);
    try {
      const res = await this.send({
        method: 'PUT',
        bucket,
        key,
        query,
        bytes: end - start,
        payloadHash: hash,
        body: () => (end > start ? fh.createReadStream({ start, end: end - 1, autoClose: false }) : Buffer.alloc(0)),
      });
      res.resume();
      return String(res.headers.etag ?? '');
    } finally {
      await fh.close();
    }
  }

  /** Streams an object into `write` (e.g. a file handle's write); resolves to the bytes written. */
  async getTo(bucket: string, key: string, write: (chunk: Buffer) => Promise<unknown>): Promise<number> {
    const res = await this.send({ method: 'GET', bucket, key });
    let n = 0;
    for await (const c of res) {
      n += (c as Buffer).length;
      await write(c as Buffer);
    }
    return n;
  }

  /** Every object under `prefix` (ListObjectsV2, page by page). */
  async list(bucket: string, prefix: string): Promise<S3Object[]> {
    const out: S3Object[] = [];
    let token: string | undefined;
    for (let page = 0; page < 1000; page++) {
      const query: Record<string, string> = { 'list-type': '2', prefix };
      if (token) query['continuation-token'] = token;
      const { objects, next } = parseList(await this.text(await this.send({ method: 'GET', bucket, query })));
      out.push(...objects);
      if (!next) break;
      token = next;
    }
    return out;
  }

  async delete(bucket: string, key: string): Promise<void> {
    (await this.send({ method: 'DELETE', bucket, key })).resume();
  }
}
