// Unpacks a platform backup into a staging directory and proves it whole (docs/architecture.md §9): only plain files
// under the names a backup may hold (no links, devices, `..` or absolute paths), within a size and entry budget
// checked from each header before its data is read, each hashed and compared with the manifest, which must come last.
// A damaged, truncated or altered archive is refused in one sentence and its staging directory removed.
import { createHash } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { Writable, type Readable } from 'node:stream';
import tar from 'tar-stream';
import { YbError } from '../shared/errors.js';
import { allowedEntryName, checkParts, MANIFEST_NAME, parseManifest, type BackupManifest, type PartRecord } from './backup-manifest.js';

export interface RestoreLimits {
  /** Largest total of the parts, in bytes (YB_RESTORE_MAX_MB). */
  maxBytes: number;
  maxEntries: number;
}

const MAX_MANIFEST = 64 * 1024 * 1024;

const bad = (message: string) => new YbError('YB_ERR_BAD_REQUEST', message);

/** Extracts `file` into `staging` (created, must not exist) and resolves to its verified manifest; removes `staging` on refusal. */
export async function extractBackup(file: string, staging: string, limits: RestoreLimits): Promise<BackupManifest> {
  await mkdir(staging, { recursive: false, mode: 0o700 });
  try {
    return await extractInto(file, staging, limits);
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
}

async function extractInto(file: string, staging: string, limits: RestoreLimits): Promise<BackupManifest> {
  const found = new Map<string, PartRecord>();
  let manifestText: string | null = null;
  let total = 0;
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const fail = (err: Error) => extract.destroy(err);
    const name = header.name;
    if (manifestText !== null) return fail(bad(`the backup holds "${name.slice(0, 80)}" after its manifest; it was altered`));
    if (header.type !== 'file')
      return fail(bad(`the backup holds a ${header.type} entry "${name.slice(0, 80)}"; a backup holds only plain files, it was altered`));
    if (name !== MANIFEST_NAME && !allowedEntryName(name))
      return fail(bad(`the backup holds "${name.slice(0, 80)}", a name a backup may not have; it was altered`));
    if (found.has(name)) return fail(bad(`the backup holds "${name.slice(0, 80)}" twice; it was altered`));
    const size = header.size ?? 0;
    total += size;
    if (total > limits.maxBytes || (name === MANIFEST_NAME && size > MAX_MANIFEST)) {
      return fail(
        bad(
          `the backup unpacks to more than ${Math.round(limits.maxBytes / 1024 / 1024)} MiB ("${name.slice(0, 80)}" claims ${size} bytes); raise YB_RESTORE_MAX_MB if it is genuine`,
        ),
      );
    }
    if (found.size + 1 > limits.maxEntries) return fail(bad(`the backup holds more than ${limits.maxEntries} files; it is not one ybd made`));
    if (name === MANIFEST_NAME) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        manifestText = Buffer.concat(chunks).toString('utf8');
        next();
      });
      return;
    }
    writePart(stream as unknown as Readable, join(staging, name)).then((rec) => {
      found.set(name, rec);
      next();
    }, fail);
  });
  try {
    await pipeline(createReadStream(file), createGunzip(), extract);
  } catch (err) {
    if (err instanceof YbError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw bad(`there is no backup file at ${file}`);
    throw bad(`the backup is not a whole gzipped tar (${e.message}); it is truncated or damaged`);
  }
  if (manifestText === null) throw bad('the backup has no manifest at its end; it is truncated');
  const manifest = parseManifest(manifestText);
  checkParts(manifest, found);
  return manifest;
}

/** Writes one entry to a new file (never through an existing one or a link), hashing it; resolves to its size and sha256. */
async function writePart(stream: Readable, path: string): Promise<PartRecord> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const fh = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    await pipeline(
      stream,
      new Writable({
        write(chunk: Buffer, _enc, done) {
          hash.update(chunk);
          bytes += chunk.length;
          fh.write(chunk).then(() => done(), done);
        },
      }),
    );
  } finally {
    await fh.close();
  }
  return { bytes, sha256: hash.digest('hex') };
}
