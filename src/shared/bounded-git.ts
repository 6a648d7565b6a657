// git run as a child process within a deadline and, when it writes a tree, a size limit on that tree: the first
// breach kills it (SIGKILL). Shared by the fetches of tenant-named repositories — `yb git:sync` and webhooks
// (docs/architecture.md §4.1) and buildpacks cloned from a URL (§7, outbound requests).
import { spawn } from 'node:child_process';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface GitBounds {
  /** Epoch ms after which git is killed. */
  deadline: number;
  /** The message when the deadline passes. */
  timeoutText: string;
  /** The tree git writes, polled every `everyMs` and measured once more when git succeeds. */
  size?: { dir: string; maxBytes: number; everyMs: number; tooLargeText: string };
}

/** Why a bounded git run failed: a limit stopped it (`detail` is that limit's text), or git failed on its own
 * (`detail` is its last line of stderr without `fatal: `/`error: `), or it could not be started. */
export class GitRunError extends Error {
  constructor(
    readonly kind: 'limit' | 'exit' | 'spawn',
    readonly detail: string,
  ) {
    super(detail);
  }
}

/** Runs `git args` with `env` inside `bounds`; resolves to its stdout, or rejects with a GitRunError. */
export function runBoundedGit(args: string[], env: NodeJS.ProcessEnv, bounds: GitBounds): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const p = spawn('git', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let stopped: string | undefined;
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    const stop = (why: string) => {
      stopped ??= why;
      p.kill('SIGKILL');
    };
    const { size } = bounds;
    const timer = setTimeout(() => stop(bounds.timeoutText), Math.max(0, bounds.deadline - Date.now()));
    const sizeCheck = size
      ? setInterval(() => void treeSize(size.dir).then((bytes) => bytes > size.maxBytes && stop(size.tooLargeText)), size.everyMs)
      : undefined;
    p.on('error', (e) => reject(new GitRunError('spawn', `git could not be run (${e.message})`)));
    p.on('exit', (code) => {
      clearTimeout(timer);
      clearInterval(sizeCheck);
      if (stopped) return reject(new GitRunError('limit', stopped));
      if (code === 0 && size) {
        // A run faster than the poll is measured once more when it is done.
        return void treeSize(size.dir).then((bytes) => (bytes > size.maxBytes ? reject(new GitRunError('limit', size.tooLargeText)) : resolvePromise(out)));
      }
      if (code === 0) return resolvePromise(out);
      const last = err
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)
        .pop();
      reject(new GitRunError('exit', last?.replace(/^(fatal|error): /, '') ?? `git exited with ${code}`));
    });
  });
}

/** Sums the sizes of the files under `dir` (links not followed); entries that vanish meanwhile count 0. */
export async function treeSize(dir: string): Promise<number> {
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const abs = join(d, e.name);
      if (e.isDirectory()) await walk(abs);
      else total += (await lstat(abs).catch(() => ({ size: 0 }))).size;
    }
  };
  await walk(dir);
  return total;
}
