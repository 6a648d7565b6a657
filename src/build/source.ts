// Unpacking an app's source (git archive or an uploaded tarball) into a build directory, safely: GNU tar refuses
// absolute and `..` member names, and symbolic links that lead outside the tree (even through other links) are
// refused afterwards. What the platform later reads from the source goes through tenant-files.ts all the same.
import { spawn } from 'node:child_process';
import { mkdir, readdir, readlink, realpath } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Readable } from 'node:stream';
import { YbError } from '../shared/errors.js';
import { resolveInTree } from './tenant-files.js';

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
          throw new YbError('YB_ERR_BAD_REQUEST', r.kind === 'loop' ? `the source contains symbolic links that loop: ${rel} -> ${target}` : `the source contains a symbolic link that points outside it: ${rel} -> ${target}`);
        }
      } else if (e.isDirectory()) await walk(abs);
    }
  };
  await walk(realRoot);
}
