// Run images of buildpack builds: a runtime layer image (stack + the slug's language runtime, `.heroku`), shared
// by every build with the same runtime, and the app image on top of it — so a warm deploy sends only the app.
// The recipes are pure; `runtimeFingerprint` reads the runtime's file listing.
import { createHash } from 'node:crypto';
import { readdir, lstat, readlink } from 'node:fs/promises';
import { join } from 'node:path';

/** The shared layer: runtime plus the run settings, so an app image is a single COPY on top (quick to build). */
export function renderRuntimeDockerfile(stackImage: string): string {
  return [`FROM ${stackImage}`, 'COPY --chown=1000:1000 runtime /app/.heroku', 'USER 1000:1000', 'WORKDIR /app', 'ENV HOME=/app', ''].join('\n');
}

export function renderRunDockerfile(runtimeImage: string): string {
  return [`FROM ${runtimeImage}`, 'COPY --chown=1000:1000 src /app', ''].join('\n');
}

/** A hash of the runtime tree and the stack it goes on. */
export async function runtimeFingerprint(dir: string, stackId: string): Promise<string> {
  const h = createHash('sha256').update(stackId);
  const walk = async (d: string, rel: string): Promise<void> => {
    const entries = (await readdir(d, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      const abs = join(d, e.name);
      const st = await lstat(abs);
      // Files by size and mtime (runtimes are unpacked from archives, which keep mtimes); links by target;
      // directories by mode only (their mtimes change whenever something is unpacked into them).
      const what = e.isSymbolicLink() ? `->${await readlink(abs)}` : e.isDirectory() ? 'dir' : `${st.size}\0${Math.floor(st.mtimeMs)}`;
      h.update(`${rel}/${e.name}\0${st.mode}\0${what}\n`);
      if (e.isDirectory()) await walk(abs, `${rel}/${e.name}`);
    }
  };
  await walk(dir, '');
  return h.digest('hex').slice(0, 20);
}

/** The first exposed TCP port of an image (`EXPOSE`), or undefined. */
export function exposedPort(exposed: Record<string, unknown> | undefined): number | undefined {
  const ports = Object.keys(exposed ?? {})
    .map((p) => /^(\d+)\/tcp$/.exec(p))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  return ports[0];
}
