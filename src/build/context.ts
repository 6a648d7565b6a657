// The build context of a Dockerfile app: the source tree minus what .dockerignore excludes (Docker's own
// semantics, via @balena/dockerignore), streamed as a tar by GNU tar from an explicit file list.
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { createRequire } from 'node:module';
import type { Ignore } from '@balena/dockerignore';
import { readTenantFile, APP_SOURCE } from './tenant-files.js';

// A CommonJS module whose typings declare an ES default export; load it the CommonJS way.
const dockerignore = createRequire(import.meta.url)('@balena/dockerignore') as (options?: { ignorecase?: boolean }) => Ignore;

async function walk(root: string, dir: string, out: string[]): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const abs = join(dir, e.name);
    const rel = relative(root, abs);
    if (e.isDirectory()) {
      out.push(`${rel}/`);
      await walk(root, abs, out);
    } else out.push(rel);
  }
}

/** Relative paths to send (files, symlinks and empty directories), honouring .dockerignore. */
export async function contextFiles(root: string, dockerfile = 'Dockerfile'): Promise<string[]> {
  const all: string[] = [];
  await walk(root, root, all);
  const ignore = await readTenantFile(root, '.dockerignore', APP_SOURCE);
  const ig = dockerignore({ ignorecase: false });
  if (ignore !== null) ig.add(ignore);
  const keep = new Set(ig.filter(all.map((p) => p.replace(/\/$/, ''))));
  keep.add(dockerfile);
  if (ignore !== null) keep.add('.dockerignore');
  // Directories are listed only when empty of kept files, so tar does not re-add what was ignored inside them.
  const files = all.filter((p) => !p.endsWith('/') && keep.has(p));
  const dirs = all.filter((p) => p.endsWith('/') && keep.has(p.slice(0, -1)) && !files.some((f) => f.startsWith(p)));
  return [...dirs.map((d) => d.slice(0, -1)), ...files].filter((p) => p !== '.git' && !p.startsWith('.git/'));
}

/**
 * A tar stream of the named entries of `dir` (with what is under them); piped on at once, as tarFiles. GNU tar
 * stores symbolic links as links (no -h): a link a build planted never makes the host pack the file it names.
 */
export function tarDir(dir: string, entries: readonly string[]): Readable {
  const p = spawn('tar', ['-C', dir, '-c', '--', ...entries], { stdio: ['ignore', 'pipe', 'inherit'] });
  return p.stdout.pipe(new PassThrough());
}

/**
 * The tar of `files` under `root`, as a stream. It is piped on at once: a child's stdout that nobody reads when
 * the child exits is drained and its data dropped by Node, so a caller that awaited something first got an empty tar.
 */
export function tarFiles(root: string, files: string[]): Readable {
  const p = spawn('tar', ['-C', root, '-c', '--no-recursion', '--null', '-T', '-'], { stdio: ['pipe', 'pipe', 'inherit'] });
  p.stdin.end(files.map((f) => `${f}\0`).join(''));
  return p.stdout.pipe(new PassThrough());
}
