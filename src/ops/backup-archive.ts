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
  private current: { destroy(err?: Error): void } | null = null;
  private aborted: Error | null = null;

  constructor() {
    this.output = this.pack.pipe(createGzip({ level: 6 }));
    // pipe() does not pass errors on: the pack's own (from abort) would otherwise be uncaught and end ybd. The reader
    // learns of an abort from the output, which abort() destroys with the same error.
    this.pack.on('error', () => undefined);
  }

  /**
   * Adds the file at `path` as `name`. Read through one descriptor opened without following links, for the size it
   * had when opened: a file replaced meanwhile (git renames refs into place) is read as it was, whole.
   */
  async addFile(name: string, path: string): Promise<void> {
    this.checkOpen();
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
        const entry = this.pack.entry(header);
        this.current = entry;
        await pipeline(fh.createReadStream({ start: 0, end: size - 1, autoClose: false }), tap, entry);
        this.current = null;
      }
      this.parts[name] = { bytes: size, sha256: hash.digest('hex') };
      this.bytes += size;
    } finally {
      await fh.close();
    }
  }

  /** Adds the manifest (with the parts written) and ends the archive. */
  async finish(manifest: Omit<BackupManifest, 'parts'>): Promise<void> {
    this.checkOpen();
    const body = Buffer.from(`${JSON.stringify({ ...manifest, parts: this.parts } satisfies BackupManifest, null, 2)}\n`);
    await new Promise<void>((resolve, reject) =>
      this.pack.entry({ name: MANIFEST_NAME, size: body.length, mode: 0o600 }, body, (err) => (err ? reject(err) : resolve())),
    );
    this.pack.finalize();
  }

  /** Throws why the archive cannot go on: aborted, or its reader gone (the response's end destroys the pack it reads). */
  private checkOpen(): void {
    if (this.aborted) throw this.aborted;
    if (this.pack.destroyed || this.output.destroyed) throw new Error('the client closed the connection before the backup was complete');
  }

  /**
   * Ends the archive without a manifest (a restore refuses it as truncated): on a failure, or when the reader went
   * away. The entry being written fails too, so a backup waiting on a reader that is gone ends instead of hanging.
   */
  abort(err: Error): void {
    this.aborted ??= err;
    this.current?.destroy(err);
    this.pack.destroy(err);
    this.output.destroy(err);
  }
}
