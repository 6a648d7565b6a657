// Unpacking an app's source (git archive or an uploaded tarball) into a build directory, safely: GNU tar refuses
// absolute and `..` member names, and symbolic links that point outside the tree are refused afterwards, so
// nothing the platform later reads from the source (Procfile, app.json, Dockerfile…) can reach host files.
import { spawn } from 'node:child_process';
import { mkdir, readdir, readlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { YbError } from '../shared/errors.js';

export async function extractTar(source: Readable, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  if (source.errored) throw source.errored;
  await new Promise<void>((resolvePromise, reject) => {
    const p = spawn('tar', ['-x', '-C', dir, '--no-same-owner', '--no-same-permissions'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    source.on('error', reject);
    source.pipe(p.stdin);
    p.stdin.on('error', () => undefined); // tar stopped reading; its exit status says why
    p.on('error', reject);
    p.on('exit', (code) => {
      if (code === 0) return resolvePromise();
      const reason = err.split('\n').find((l) => l.trim() && !/Removing leading|Exiting with failure/.test(l)) ?? `tar exited with ${code}`;
      reject(new YbError('YB_ERR_BAD_REQUEST', `the source archive could not be unpacked: ${reason.replace(/^tar: /, '').trim()}`));
    });
  });
}

/** A symbolic link's target leaves `root` (absolute, or `..` past the top). Pure. */
export function linkEscapes(root: string, linkPath: string, target: string): boolean {
  if (isAbsolute(target)) return true;
  const rel = relative(root, resolve(dirname(linkPath), target));
  return rel === '..' || rel.startsWith('../') || isAbsolute(rel);
}

/** Throws when any symbolic link under `root` points outside it. */
export async function refuseEscapingLinks(root: string): Promise<void> {
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const abs = join(dir, e.name);
      if (e.isSymbolicLink()) {
        const target = await readlink(abs);
        if (linkEscapes(root, abs, target)) {
          throw new YbError('YB_ERR_BAD_REQUEST', `the source contains a symbolic link that points outside it: ${relative(root, abs)} -> ${target.slice(0, 200)}`);
        }
      } else if (e.isDirectory()) await walk(abs);
    }
  };
  await walk(root);
}
