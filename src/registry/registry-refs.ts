// Pure naming of images in the platform's registry: the repository and tag a build is pushed as, the
// `host/repo@sha256:…` reference a release keeps, and its parts back. No I/O.
import { YbError } from '../shared/errors.js';

/** A registry path component as the distribution spec allows it: lower-case alphanumerics split by . _ or -. */
function component(s: string): string {
  const c = s
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[._-]+|[._-]+$/g, '')
    .replace(/[._-]{2,}/g, '-');
  return c || 'x';
}

/** `<host:port>` of a registry URL or address ("http://127.0.0.1:5000/" → "127.0.0.1:5000"). */
export function registryHost(urlOrAddr: string): string {
  const u = new URL(/^[a-z]+:\/\//i.test(urlOrAddr) ? urlOrAddr : `http://${urlOrAddr}`);
  return u.host;
}

/** Repository of an app's images in the registry: `<instance>/<app>`. */
export function appRepository(instance: string, app: string): string {
  return `${component(instance)}/${component(app)}`;
}

/** The tag a build is pushed as: `<host>/<instance>/<app>:<build id>`. */
export function pushTag(host: string, instance: string, app: string, buildId: string): { repo: string; tag: string; ref: string } {
  const repo = `${host}/${appRepository(instance, app)}`;
  const tag = component(buildId);
  return { repo, tag, ref: `${repo}:${tag}` };
}

/** The reference a release keeps: `<host>/<instance>/<app>@<digest>`. */
export function digestRef(repoWithHost: string, digest: string): string {
  if (!/^sha256:[a-f0-9]{64}$/.test(digest))
    throw new YbError('YB_ERR_INTERNAL', `the registry answered "${digest.slice(0, 80)}", which is not a sha256 digest`);
  return `${repoWithHost}@${digest}`;
}

/** The parts of a `host/name@sha256:…` reference, or null when it is not one. */
export function parseDigestRef(ref: string): { host: string; name: string; digest: string } | null {
  const m = /^([a-z0-9.-]+(?::[0-9]{1,5})?)\/([a-z0-9._/-]+)@(sha256:[a-f0-9]{64})$/.exec(ref);
  if (!m || m[2]!.split('/').some((s) => s === '' || s === '.' || s === '..')) return null;
  return { host: m[1]!, name: m[2]!, digest: m[3]! };
}

/** Digests of release references on `host` that are no longer kept: in `dropped`, in none of `kept`. Pure. */
export function manifestsToDelete(dropped: Iterable<string>, kept: Iterable<string>, host: string): Array<{ name: string; digest: string }> {
  const keep = new Set<string>();
  for (const k of kept) {
    const p = parseDigestRef(k);
    if (p) keep.add(`${p.name}@${p.digest}`);
  }
  const out = new Map<string, { name: string; digest: string }>();
  for (const d of dropped) {
    const p = parseDigestRef(d);
    if (!p || p.host !== host || keep.has(`${p.name}@${p.digest}`)) continue;
    out.set(`${p.name}@${p.digest}`, { name: p.name, digest: p.digest });
  }
  return [...out.values()];
}
