// Run images of buildpack builds: a runtime layer image (stack + the slug's language runtime, `.heroku`), shared
// by every build with the same runtime, and the app image on top of it — so a warm deploy sends only the app.
// The recipes are pure; `runtimeFingerprint` reads the runtime's files. The image is shared across teams, and the
// tree comes from a tenant's build: the fingerprint hashes every byte, so a changed runtime never matches another's.
// `runtimeListingKey` is the cheap key (names, modes, sizes, mtimes) that may only pick among one app's own images.
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

/**
 * A cheap key of the runtime tree: every path, its type, mode, size and mtime (ns), each link's target; no bytes
 * read. A tenant's build can forge all of these, so the key must never name a shared image: it only tells whether
 * a tree is, as far as its build left it, the one an earlier build of the same app incarnation had
 * (RuntimeMemo). A change that keeps every size and mtime is not seen by it.
 */
export async function runtimeListingKey(dir: string, stackId: string): Promise<string> {
  const h = createHash('sha256').update(`${stackId}\n`);
  const walk = async (d: string, rel: string): Promise<void> => {
    const entries = (await readdir(d, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    const stats = await Promise.all(entries.map((e) => lstat(join(d, e.name), { bigint: true })));
    for (const [i, e] of entries.entries()) {
      const st = stats[i]!;
      const path = JSON.stringify(`${rel}/${e.name}`);
      if (st.isSymbolicLink()) h.update(`L ${path} ${JSON.stringify(await readlink(join(d, e.name)))}\n`);
      else if (st.isDirectory()) {
        h.update(`D ${path} ${st.mode}\n`);
        await walk(join(d, e.name), `${rel}/${e.name}`);
      } else h.update(`${st.isFile() ? 'F' : 'O'} ${path} ${st.mode} ${st.size} ${st.mtimeNs}\n`);
    }
  };
  await walk(dir, '');
  return h.digest('hex');
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

/**
 * Per app incarnation, the listing key of its last runtime tree and the content-addressed tag built from that tree.
 * Held in ybd's memory only (no tenant can write it); keyed by incarnation, so an app destroyed and re-created under
 * its name by another team starts empty. A hit can only give an app the verified runtime an earlier build of its own
 * made: a tree forged to the same listing gets that runtime, never its own bytes in a shared image.
 */
export class RuntimeMemo {
  private readonly last = new Map<string, { key: string; tag: string }>();

  constructor(private readonly max = 10_000) {}

  /** The tag remembered for `scope` when its last tree had this listing key. */
  get(scope: string, key: string): string | undefined {
    const hit = this.last.get(scope);
    return hit?.key === key ? hit.tag : undefined;
  }

  set(scope: string, key: string, tag: string): void {
    this.last.delete(scope);
    this.last.set(scope, { key, tag });
    // Oldest first out: a Map iterates in insertion order, and a set moves its scope to the end.
    if (this.last.size > this.max) this.last.delete(this.last.keys().next().value!);
  }
}
