// The source of a review app's deploy as a tar file in $YB_DATA_DIR/work: a push's archive (as the pre-receive hook
// sends it) or a branch already in the parent's repository (git archive). Held as a file because its app.json
// (`environments.review`) must be read before the build, which reads the same tar. Spawns with argument arrays.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { YbError } from '../shared/errors.js';

/** Largest app.json read for the review environment. */
const MAX_APP_JSON = 256 * 1024;

const sizeOf = (bytes: number) => (bytes >= 1024 * 1024 ? `${Math.round(bytes / 1024 / 1024)} MiB` : `${Math.ceil(bytes / 1024)} KiB`);

export interface SourceFile {
  path: string;
  remove(): Promise<void>;
}

/** Writes `source` to a new file under `dataDir/work` (a dot name, never an app's `<app>-<build>` work dir), at most `maxBytes`. */
export async function saveSource(dataDir: string, source: Readable, maxBytes: number): Promise<SourceFile> {
  const dir = join(dataDir, 'work');
  await mkdir(dir, { recursive: true });
  const path = join(dir, `.review-${randomBytes(8).toString('hex')}.tar`);
  const remove = () => rm(path, { force: true });
  let seen = 0;
  const bound = new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > maxBytes) done(new YbError('YB_ERR_TOO_LARGE', `the source is larger than ${sizeOf(maxBytes)} (YB_MAX_UNPACKED_MB)`));
      else done(null, chunk);
    },
  });
  try {
    await pipeline(source, bound, createWriteStream(path, { mode: 0o600 }));
  } catch (err) {
    await remove();
    throw err;
  }
  return { path, remove };
}

/** Runs a command and collects its stdout up to `max` bytes; resolves with the exit code. */
function collect(cmd: string, args: string[], max: number): Promise<{ code: number; out: Buffer; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let size = 0;
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) child.kill('SIGKILL');
      else chunks.push(c);
    });
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-2000)));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: size > max ? -1 : (code ?? -1), out: Buffer.concat(chunks), err }));
  });
}

/** The source's top-level app.json as text, or null when it has none (a link or a directory counts as none). */
export async function readAppJson(file: SourceFile): Promise<string | null> {
  const r = await collect('tar', ['-xOf', file.path, '--occurrence=1', 'app.json'], MAX_APP_JSON);
  if (r.code === -1) throw new YbError('YB_ERR_DEPLOY_FAILED', `app.json is larger than ${MAX_APP_JSON / 1024} KiB`);
  // tar says "Not found in archive" for a source without app.json; anything else is a broken archive, said here.
  if (r.code !== 0 && (/does not look like a tar archive|unexpected eof/i.test(r.err) || !/not found in archive/i.test(r.err)))
    throw new YbError('YB_ERR_BAD_REQUEST', `the source archive could not be read: ${r.err.split('\n')[0]?.replace(/^tar: /, '') ?? 'tar failed'}`);
  return r.code === 0 ? r.out.toString('utf8') : null;
}

/** The commit a branch of a bare repository points to; null when the branch is not there. */
export async function branchCommit(repo: string, branch: string): Promise<string | null> {
  // A full ref name can never be read as an option, whatever the branch is called.
  const r = await collect('git', ['-C', repo, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`], 4096);
  return r.code === 0 ? r.out.toString().trim() : null;
}

/** `git archive` of a commit of a bare repository, saved like a pushed source. */
export async function archiveCommit(dataDir: string, repo: string, commit: string, maxBytes: number): Promise<SourceFile> {
  const child = spawn('git', ['-C', repo, 'archive', '--format=tar', commit], { stdio: ['ignore', 'pipe', 'ignore'] });
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  // Read at once: when git exits before its stdout has a reader, Node resumes the stream and what git wrote is lost
  // (it did, under load, while saveSource made its directory). The pipe holds it, paused by backpressure, instead.
  const output = child.stdout.pipe(new PassThrough());
  const file = await saveSource(dataDir, output, maxBytes).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
  const code = await exited;
  if (code !== 0 || (await stat(file.path)).size === 0) {
    await file.remove();
    throw new YbError('YB_ERR_DEPLOY_FAILED', `git archive of ${commit.slice(0, 12)} failed (exit status ${code})`);
  }
  return file;
}
