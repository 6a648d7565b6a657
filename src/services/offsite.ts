// Off-site copies of service backups in an S3-compatible store (docs/architecture.md §5.4): where they go (a checked
// `s3://bucket/prefix`), uploading a local backup as `<prefix>/<service>/<file>`, listing and pruning the copies, and
// fetching one back into the service's backup directory when the local file is gone. The store's endpoint and keys
// are a tenant's: the endpoint meets the outbound guard (shared/s3.ts) and the keys are never shown or logged.
import { constants } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { YbError } from '../shared/errors.js';
import { S3Client, S3Error, type S3Endpoint } from '../shared/s3.js';
import { beyondRetention, checkBackupId, type BackupFiles } from './backups.js';

export interface OffsiteTarget {
  bucket: string;
  /** Without leading or trailing slash; may be empty. */
  prefix: string;
}

/** An off-site store as kept (the keys sealed apart, see backup-plan.ts). */
export interface OffsiteStore extends S3Endpoint, OffsiteTarget {}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const SEGMENT = /^[A-Za-z0-9._-]{1,100}$/;

/** Parses `s3://bucket/prefix`: S3's bucket rules, a prefix of at most 200 characters of safe segments (no `.`/`..`). Pure. */
export function parseTarget(url: string): OffsiteTarget {
  const bad = (why: string) => new YbError('YB_ERR_BAD_REQUEST', `"${url.slice(0, 80)}" is not an off-site target: ${why}`);
  const m = /^s3:\/\/([^/]*)(?:\/(.*))?$/.exec(url);
  if (!m) throw bad('write it as s3://bucket/prefix');
  const bucket = m[1]!;
  if (!BUCKET.test(bucket) || bucket.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(bucket))
    throw bad('a bucket name is 3-63 lower-case letters, digits, dots and hyphens');
  const prefix = (m[2] ?? '').replace(/\/+$/, '');
  if (prefix.length > 200) throw bad('the prefix is longer than 200 characters');
  if (prefix && !prefix.split('/').every((s) => SEGMENT.test(s) && s !== '.' && s !== '..'))
    throw bad('the prefix is made of letters, digits, dots, hyphens and underscores between single slashes, without . or .. segments');
  return { bucket, prefix };
}

/** Checks an endpoint URL (http or https, no credentials, query or fragment in it). Pure. */
export function checkEndpoint(endpoint: string): string {
  let u: URL;
  try {
    u = new URL(endpoint);
  } catch {
    throw new YbError('YB_ERR_BAD_REQUEST', `"${endpoint.slice(0, 80)}" is not a URL; give the store's endpoint, e.g. https://s3.eu-west-1.amazonaws.com`);
  }
  if (!['http:', 'https:'].includes(u.protocol) || u.username || u.password || u.search || u.hash)
    throw new YbError('YB_ERR_BAD_REQUEST', 'the S3 endpoint is an http(s) URL without user, password, query or fragment (the keys are given apart)');
  return u.toString().replace(/\/$/, '');
}

export function targetUrl(t: OffsiteTarget): string {
  return `s3://${t.bucket}${t.prefix ? `/${t.prefix}` : ''}`;
}

/** The key of a service's backup file in the store. */
export function objectKey(t: OffsiteTarget, service: string, file: string): string {
  return `${t.prefix ? `${t.prefix}/` : ''}${service}/${file}`;
}

/** One sentence for a failed store operation; the keys never appear in it. */
export function storeFailure(what: string, err: unknown): YbError {
  const e = err as Error;
  const hint =
    err instanceof S3Error && /InvalidAccessKeyId|SignatureDoesNotMatch|AccessDenied/.test(err.code)
      ? 'check the access key and secret given to yb services:backups:remote'
      : undefined;
  return new YbError('YB_ERR_BAD_GATEWAY', `${what} failed: ${e.message}`, { hint, cause: err });
}

export class OffsiteCopies {
  constructor(
    private readonly files: BackupFiles,
    private readonly allowPrivate: boolean,
    private readonly partBytes?: number,
    /** The most a fetch writes here, whatever the store lists or sends (it is a tenant's). */
    private readonly maxFetchBytes = 10 * 1024 ** 3,
  ) {}

  private client(s: OffsiteStore): S3Client {
    return new S3Client(s, { allowPrivate: this.allowPrivate, partBytes: this.partBytes });
  }

  /** Lists the target (one page is enough): proves the endpoint, keys and bucket before they are kept. */
  async verify(s: OffsiteStore, service: string): Promise<void> {
    try {
      await this.client(s).list(s.bucket, objectKey(s, service, ''));
    } catch (err) {
      throw storeFailure(`reaching ${targetUrl(s)} at ${new URL(s.endpoint).host}`, err);
    }
  }

  async upload(s: OffsiteStore, service: string, file: string): Promise<string> {
    const key = objectKey(s, service, file);
    try {
      await this.client(s).putFile(s.bucket, key, join(this.files.dir(service), file));
    } catch (err) {
      throw storeFailure(`copying ${file} to ${targetUrl(s)}`, err);
    }
    return key;
  }

  /** The backups of `service` in the store: id, file and size, oldest first. */
  async list(s: OffsiteStore, service: string): Promise<Array<{ id: string; file: string; bytes: number }>> {
    let objects;
    try {
      objects = await this.client(s).list(s.bucket, objectKey(s, service, ''));
    } catch (err) {
      throw storeFailure(`listing ${targetUrl(s)}`, err);
    }
    const base = objectKey(s, service, '');
    return objects
      .map((o) => ({ file: o.key.slice(base.length), bytes: o.bytes }))
      .filter((o) => /^\d{8}T\d{6}Z-[0-9a-f]{4}\.[a-z]+$/.test(o.file))
      .map((o) => ({ ...o, id: o.file.replace(/\.[a-z]+$/, '') }))
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Deletes the copies beyond `keep`; resolves to the ids removed. */
  async prune(s: OffsiteStore, service: string, keep: number): Promise<string[]> {
    const all = await this.list(s, service);
    const doomed = new Set(
      beyondRetention(
        all.map((o) => o.id),
        keep,
      ),
    );
    try {
      for (const o of all) if (doomed.has(o.id)) await this.client(s).delete(s.bucket, objectKey(s, service, o.file));
    } catch (err) {
      throw storeFailure(`pruning ${targetUrl(s)}`, err);
    }
    return [...doomed];
  }

  /**
   * Fetches backup `id` from the store into the service's backup directory (as `.<file>.partial`, then renamed), for a
   * restore whose local file is gone. The directory is writable from the service's container: nothing follows a link.
   */
  async fetch(s: OffsiteStore, service: string, id: string): Promise<void> {
    checkBackupId(id);
    const copy = (await this.list(s, service)).find((o) => o.id === id);
    if (!copy) throw new YbError('YB_ERR_NOT_FOUND', `${service} has no backup ${id}, neither here nor in ${targetUrl(s)}`);
    await this.files.ensureDir(service);
    const partial = `.${copy.file}.partial`;
    const path = join(this.files.dir(service), partial);
    await rm(path, { force: true });
    const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = constants;
    const fh = await open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    try {
      // The store is a tenant's: it may send more than it listed, or without end. Stop at the listed size and the cap.
      const limit = Math.min(copy.bytes, this.maxFetchBytes);
      if (copy.bytes > this.maxFetchBytes)
        throw new YbError('YB_ERR_TOO_LARGE', `${copy.file} is ${copy.bytes} bytes, more than the ${this.maxFetchBytes} a restore fetches`);
      let written = 0;
      await this.client(s).getTo(s.bucket, objectKey(s, service, copy.file), (chunk) => {
        written += chunk.length;
        if (written > limit) throw new YbError('YB_ERR_BAD_GATEWAY', `the store sent more of ${copy.file} than the ${copy.bytes} bytes it listed`);
        return fh.write(chunk);
      });
    } catch (err) {
      await fh.close();
      await rm(path, { force: true });
      throw err instanceof YbError ? err : storeFailure(`fetching ${copy.file} from ${targetUrl(s)}`, err);
    }
    await fh.close();
    await this.files.commit(service, copy.file);
  }
}
