// Writes a platform backup archive (docs/architecture.md §9): a gzipped tar of named parts, each file hashed
// (sha256) as it is streamed, and the manifest listing them last. Owns the archive's bytes only; which files go in
// is backup.ts's.
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import { allowedEntryName, MANIFEST_NAME, type BackupManifest, type PartRecord } from './backup-manifest.js';

export class BackupArchiveWriter {
  private readonly pack = tar.pack();
  readonly output: Readable;
  readonly parts: Record<string, PartRecord> = {};
  bytes = 0;

  constructor() {
    this.output = this.pack.pipe(createGzip({ level: 6 }));
  }

  /**
   * Adds the file at `path` as `name`. Read through one descriptor opened without following links, for the size it
   * had when opened: a file replaced meanwhile (git renames refs into place) is read as it was, whole.
   */
  async addFile(name: string, path: string): Promise<void> {
    if (!allowedEntryName(name)) throw new Error(`"${name}" is not a name a backup may hold`);
    const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const st = await fh.stat();
      if (!st.isFile()) return; // a directory or device where a file was expected holds nothing to keep
      const hash = createHash('sha256');
      const size = st.size;
      const header = { name, size, mode: 0o600, mtime: st.mtime, type: 'file' as const };
      if (size === 0) {
        await new Promise<void>((resolve, reject) => this.pack.entry(header, Buffer.alloc(0), (err) => (err ? reject(err) : resolve())));
      } else {
        const tap = new Transform({
          transform(chunk: Buffer, _enc, done) {
            hash.update(chunk);
            done(null, chunk);
          },
        });
        await pipeline(fh.createReadStream({ start: 0, end: size - 1, autoClose: false }), tap, this.pack.entry(header));
      }
      this.parts[name] = { bytes: size, sha256: hash.digest('hex') };
      this.bytes += size;
    } finally {
      await fh.close();
    }
  }

  /** Adds the manifest (with the parts written) and ends the archive. */
  async finish(manifest: Omit<BackupManifest, 'parts'>): Promise<void> {
    const body = Buffer.from(`${JSON.stringify({ ...manifest, parts: this.parts } satisfies BackupManifest, null, 2)}\n`);
    await new Promise<void>((resolve, reject) =>
      this.pack.entry({ name: MANIFEST_NAME, size: body.length, mode: 0o600 }, body, (err) => (err ? reject(err) : resolve())),
    );
    this.pack.finalize();
  }

  /** Ends the archive without a manifest: a restore refuses it as truncated. */
  abort(err: Error): void {
    this.pack.destroy(err);
  }
}
