// Pure decisions about images a team did not necessarily make (issue #14): which tags a tenant's import may set,
// and which release images the platform may remove when an app prunes old releases or is destroyed.
// Performs no I/O: callers look up the engine and etcd and pass the facts in.

/** The repository and tag of an image reference as the engine reads them (`docker.io/library/x` is `x`, no tag is `latest`), lower-cased for comparing. */
export function normaliseTag(ref: string): { repo: string; tag: string } {
  let r = ref.trim().toLowerCase();
  for (const host of ['docker.io/', 'index.docker.io/', 'registry-1.docker.io/']) if (r.startsWith(host)) r = r.slice(host.length);
  if (r.startsWith('library/')) r = r.slice('library/'.length);
  const slash = r.lastIndexOf('/');
  const colon = r.lastIndexOf(':');
  // A colon before the last slash is a registry port (host:5000/name), not a tag.
  if (colon > slash) return { repo: r.slice(0, colon), tag: r.slice(colon + 1) };
  return { repo: r, tag: 'latest' };
}

/** A repository:tag the engine accepts; checked before the name goes into an engine API path (no "..", no empty segment). */
export function isImageName(ref: string): boolean {
  return /^[a-z0-9][a-z0-9._/:-]{0,254}$/i.test(ref) && !ref.split('/').some((s) => s === '' || s === '.' || s === '..');
}

/** Names the platform gives its own images: base images (yunbang/…) and app release images (yunbang-app/…). */
export function isPlatformName(ref: string): boolean {
  const { repo } = normaliseTag(ref);
  return repo.startsWith('yunbang/') || repo.startsWith('yunbang-') || repo === 'yunbang';
}

/**
 * Why a tenant's image import may not set the tag `ref`, or null when it may. Loading an archive moves its tags
 * on the engine, so a tag could otherwise redirect the platform's builder or another team's image to the tenant's.
 * `current` is the image id the tag names on the engine now (null: no such tag); `ownedByTeam` whether the
 * importing team owns that image.
 */
export function importTagProblem(ref: string, current: string | null, ownedByTeam: boolean): string | null {
  if (!isImageName(ref)) return `the archive tags an image "${ref.slice(0, 120)}", which is not an image name`;
  if (isPlatformName(ref)) return `the archive tags an image "${ref.slice(0, 120)}", a name reserved for the platform's own images; tag it under another name`;
  if (current && !ownedByTeam)
    return `the archive tags an image "${ref.slice(0, 120)}", a name that already belongs to an image your team did not import; tag it under another name`;
  return null;
}

/** What pruning and destroying need to know of a release. */
export interface ReleaseImage {
  version: number;
  imageId: string;
  /** `image`: deployed with `yb deploy:image` (the platform did not build it, so never removes it). */
  builder: string;
}

/**
 * Image ids of one app's releases that may be removed: beyond its `keep` newest releases and not its `current`
 * one (keep 0 and no current when the app is destroyed), built by the platform for this app, and used by none of
 * the kept releases of this app or of any other app (`keptElsewhere`: image ids of the other apps' kept releases).
 */
export function removableImages(releases: ReleaseImage[], keep: number, keptElsewhere: ReadonlySet<string>, current?: number): string[] {
  const newestFirst = [...releases].sort((a, b) => b.version - a.version);
  const kept = new Set(newestFirst.filter((r, i) => i < keep || r.version === current).map((r) => r.imageId));
  const out = new Set<string>();
  for (const r of newestFirst.slice(keep)) {
    if (r.builder === 'image' || !r.imageId || kept.has(r.imageId) || keptElsewhere.has(r.imageId)) continue;
    out.add(r.imageId);
  }
  return [...out];
}

/** Image ids of the `keep` newest releases and the current one of each app (what their rollbacks and restarts need). */
export function keptImages(apps: Iterable<{ releases: ReleaseImage[]; current?: number }>, keep: number): Set<string> {
  const out = new Set<string>();
  for (const { releases, current } of apps) {
    const newestFirst = [...releases].sort((a, b) => b.version - a.version);
    newestFirst.forEach((r, i) => {
      if (r.imageId && (i < keep || r.version === current)) out.add(r.imageId);
    });
  }
  return out;
}
