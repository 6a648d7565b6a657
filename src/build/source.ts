// Unpacking an app's source (git archive or an uploaded tarball) into a build directory, safely: GNU tar refuses
// absolute and `..` member names; the stream is measured from its headers as it passes (tar-budget.ts), so an
// archive that would unpack past the size or entry limits is stopped before tar writes past them; and symbolic
// links that lead outside the tree (even through other links) are refused afterwards.
import { spawn } from 'node:child_process';
import { mkdir, readdir, readlink, realpath } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Readable } from 'node:stream';
import { YbError } from '../shared/errors.js';
import { TarBudget, type TarLimits } from './tar-budget.js';
import { resolveInTree } from './tenant-files.js';

/** Limits of one unpack, and what set them (named in the refusal, e.g. "YB_MAX_UNPACKED_MB"). */
export interface UnpackLimits extends TarLimits {
  bytesSetting: string;
  entriesSetting: string;
  /** What is unpacked, as the refusal names it; "the source" unless said. */
  what?: string;
}

function budgetError(reason: string, limits: UnpackLimits): YbError {
  const what = limits.what ?? 'the source';
  switch (reason) {
    case 'bytes':
      return new YbError('YB_ERR_TOO_LARGE', `${what} unpacks to more than ${Math.round(limits.maxBytes / 1024 / 1024)} MiB (${limits.bytesSetting})`);
    case 'entries':
      return new YbError('YB_ERR_TOO_LARGE', `${what} has more than ${limits.maxEntries} files and directories (${limits.entriesSetting})`);
    case 'sparse':
      return new YbError('YB_ERR_BAD_REQUEST', `${what} has sparse files, which are not accepted`);
    case 'trailing':
      return new YbError('YB_ERR_BAD_REQUEST', `${what} goes on for more than 1 MiB past the end of its archive`);
    default:
      return new YbError('YB_ERR_BAD_REQUEST', `${what} could not be unpacked: it is not a valid tar archive`);
  }
}

/** Read and dropped after a refusal, for clients that send before they read; then the source is left paused. */
const DRAIN_AFTER_REFUSAL = 64 * 1024 * 1024;

/**
 * Unpacks the tar stream `source` into `dir`; stops as soon as the archive would unpack past `limits` (throwing one
 * sentence that names the setting), and passes tar nothing after the end of the archive. The caller removes what
 * was unpacked. After a refusal some of the
 * rest is read and dropped, then the source is paused, never read to its end (it could be gigabytes): the HTTP
 * routes close the connection once the answer is out.
 */
export async function extractTar(source: Readable, dir: string, limits: UnpackLimits): Promise<void> {
  await mkdir(dir, { recursive: true });
  if (source.errored) throw source.errored;
  const budget = new TarBudget(limits);
  await new Promise<void>((resolvePromise, reject) => {
    const p = spawn('tar', ['-x', '-C', dir, '--no-same-owner', '--no-same-permissions'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    let refused: YbError | null = null;
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.stdin.on('error', () => undefined); // tar stopped reading; its exit status says why
    p.on('error', reject);
    source.on('error', (e) => {
      p.kill('SIGKILL');
      reject(e);
    });
    let drained = 0;
    const refuse = (e: YbError) => {
      refused = e;
      p.kill('SIGKILL');
      source.resume();
    };
    source.on('data', (chunk: Buffer) => {
      if (refused) {
        drained += chunk.length;
        if (drained > DRAIN_AFTER_REFUSAL) source.pause();
        return;
      }
      const v = budget.feed(chunk);
      if (!v.ok) return refuse(budgetError(v.reason, limits));
      if (p.stdin.writableEnded) return; // past the end of the archive: only measured (tar-budget bounds it)
      const part = v.archive === chunk.length ? chunk : chunk.subarray(0, v.archive);
      if (part.length && !p.stdin.write(part)) {
        source.pause();
        p.stdin.once('drain', () => source.resume());
      }
      if (budget.ended) p.stdin.end();
    });
    source.on('end', () => {
      if (!p.stdin.writableEnded) p.stdin.end();
    });
    p.on('exit', (code) => {
      if (refused) return reject(refused);
      if (code === 0) return resolvePromise();
      const reason = err.split('\n').find((l) => l.trim() && !/Removing leading|Exiting with failure/.test(l)) ?? `tar exited with ${code}`;
      reject(new YbError('YB_ERR_BAD_REQUEST', `the source archive could not be unpacked: ${reason.replace(/^tar: /, '').trim()}`));
    });
  });
}

/** Throws when any symbolic link under `root` leads outside it, as the kernel would follow it (chains included). */
export async function refuseEscapingLinks(root: string): Promise<void> {
  const realRoot = await realpath(root);
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const abs = join(dir, e.name);
      if (e.isSymbolicLink()) {
        const rel = relative(realRoot, abs);
        const r = await resolveInTree(realRoot, rel);
        if (r.kind !== 'inside') {
          const target = (await readlink(abs)).slice(0, 200);
          throw new YbError(
            'YB_ERR_BAD_REQUEST',
            r.kind === 'loop'
              ? `the source contains symbolic links that loop: ${rel} -> ${target}`
              : `the source contains a symbolic link that points outside it: ${rel} -> ${target}`,
          );
        }
      } else if (e.isDirectory()) await walk(abs);
    }
  };
  await walk(realRoot);
}
