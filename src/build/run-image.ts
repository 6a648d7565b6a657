// Run images of buildpack builds: a runtime layer image (stack + the slug's language runtime, `.heroku`), shared
// by every build with the same runtime, and the app image on top of it — so a warm deploy sends only the app.
// The recipes are pure; `runtimeFingerprint` reads the runtime's files. The image is shared across teams, and the
// tree comes from a tenant's build: the fingerprint hashes every byte, so a changed runtime never matches another's.
import { createHash, type Hash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { APP_USER } from '../runtime/runtime.js';

const OWNER = `${APP_USER.uid}:${APP_USER.gid}`;

/** The shared layer: runtime plus the run settings, so an app image is a single COPY on top (quick to build). */
export function renderRuntimeDockerfile(stackImage: string): string {
  return [`FROM ${stackImage}`, `COPY --chown=${OWNER} runtime /app/.heroku`, `USER ${OWNER}`, 'WORKDIR /app', 'ENV HOME=/app', ''].join('\n');
}

export function renderRunDockerfile(runtimeImage: string): string {
  return [`FROM ${runtimeImage}`, `COPY --chown=${OWNER} src /app`, ''].join('\n');
}

/**
 * A hash of the runtime tree's content and the stack it goes on: every path, its type and mode, each file's bytes
 * and each link's target (links are never followed). Names, sizes and mtimes alone would let a build that swaps a
 * binary for a same-size one with the old mtime poison the image every later build of that runtime reuses.
 */
export async function runtimeFingerprint(dir: string, stackId: string): Promise<string> {
  const h = createHash('sha256').update(`${stackId}\n`);
  const walk = async (d: string, rel: string): Promise<void> => {
    const entries = (await readdir(d, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      const abs = join(d, e.name);
      const st = await lstat(abs);
      const path = JSON.stringify(`${rel}/${e.name}`); // quoted: no name can forge the next record
      if (st.isSymbolicLink()) h.update(`L ${path} ${JSON.stringify(await readlink(abs))}\n`);
      else if (st.isDirectory()) {
        h.update(`D ${path} ${st.mode}\n`);
        await walk(abs, `${rel}/${e.name}`);
      } else if (st.isFile()) {
        h.update(`F ${path} ${st.mode} ${st.size} `);
        await hashFile(abs, h);
        h.update('\n');
      } else h.update(`O ${path} ${st.mode}\n`); // FIFOs, sockets: their type and mode are all they have
    }
  };
  await walk(dir, '');
  return h.digest('hex').slice(0, 32);
}

/** Feeds a file's bytes into `h`, opened without following a link (the tree was listed without following any). */
async function hashFile(path: string, h: Hash): Promise<void> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const fileHash = createHash('sha256');
    const buf = Buffer.alloc(1024 * 1024);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      fileHash.update(buf.subarray(0, bytesRead));
    }
    h.update(fileHash.digest('hex'));
  } finally {
    await fh.close();
  }
}
