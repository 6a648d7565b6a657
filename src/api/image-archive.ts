// Reads what an image archive (as made by `docker save`) would tag before the engine loads it: loading moves tags,
// so a tenant's archive must be checked first. Reads manifest.json and the older `repositories` file with tar.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { YbError } from '../shared/errors.js';

const run = promisify(execFile);
const MAX_MEMBER = 8 * 1024 * 1024;

/** Tags named in manifest.json (RepoTags) and `repositories` ({ repo: { tag: id } }); pure. */
export function tagsOf(manifest: unknown, repositories: unknown): string[] {
  const tags = new Set<string>();
  if (Array.isArray(manifest)) {
    for (const m of manifest as Array<{ RepoTags?: unknown }>)
      if (Array.isArray(m?.RepoTags)) for (const t of m.RepoTags) if (typeof t === 'string') tags.add(t);
  }
  if (repositories && typeof repositories === 'object') {
    for (const [repo, byTag] of Object.entries(repositories as Record<string, unknown>)) {
      if (byTag && typeof byTag === 'object') for (const tag of Object.keys(byTag)) tags.add(`${repo}:${tag}`);
    }
  }
  return [...tags];
}

async function member(file: string, name: string): Promise<unknown> {
  try {
    const { stdout } = await run('tar', ['-xOf', file, name], { maxBuffer: MAX_MEMBER, encoding: 'utf8' });
    return JSON.parse(stdout);
  } catch (err) {
    throw new YbError('YB_ERR_BAD_REQUEST', `the archive's ${name} could not be read as JSON`, { cause: err });
  }
}

/** The tags loading the tar archive `file` would set; a file that is no image archive is a YB_ERR_BAD_REQUEST. */
export async function archiveTags(file: string): Promise<string[]> {
  let names: string[];
  try {
    names = (await run('tar', ['-tf', file], { maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' })).stdout.split('\n').filter(Boolean);
  } catch (err) {
    throw new YbError('YB_ERR_BAD_REQUEST', 'the upload is not a tar archive; make one with docker save', { cause: err });
  }
  // The engine unpacks the archive to a directory, where "./manifest.json" or a second copy would replace the one
  // read here; docker save writes neither, so such archives are refused.
  const count = (n: string) => names.filter((x) => x === n).length;
  if (names.some((n) => n.startsWith('/') || n.startsWith('./') || n.split('/').includes('..')) || count('manifest.json') > 1 || count('repositories') > 1) {
    throw new YbError('YB_ERR_BAD_REQUEST', 'the archive has member names docker save does not write (absolute, ./, .. or repeated); make it with docker save');
  }
  const hasManifest = count('manifest.json') === 1;
  const hasRepositories = count('repositories') === 1;
  if (!hasManifest && !hasRepositories)
    throw new YbError('YB_ERR_BAD_REQUEST', 'the archive has no manifest.json, so it is not an image archive; make one with docker save');
  return tagsOf(hasManifest ? await member(file, 'manifest.json') : null, hasRepositories ? await member(file, 'repositories') : null);
}
