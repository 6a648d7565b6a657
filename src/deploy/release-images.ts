// Pruning the images of an app's old releases after a deploy (docs/architecture.md §2, §4): beyond the newest `retention`
// releases, never the current one's, only images the platform built for the app, none that a kept release of another
// app uses (deploy:image by id shares them), and their registry manifests with them. Decisions: image-policy.ts.
import type { BuildService } from '../build/build-service.js';
import type { AppRecord, AppRecords } from '../release/app-records.js';
import { manifestsToDelete } from '../registry/registry-refs.js';
import { keptImages, removableImages } from './image-policy.js';

/** What pruning needs of the platform's registry: dropping the manifests of removed release images. */
export interface ManifestRemover {
  readonly host: string;
  deleteManifests(list: Array<{ name: string; digest: string }>): Promise<number>;
}

export class ReleaseImagePruner {
  constructor(
    private readonly apps: AppRecords,
    private readonly builds: BuildService,
    /** Releases per app whose images are kept (YB_RELEASE_RETENTION). */
    readonly retention: number,
    private readonly registry?: ManifestRemover,
  ) {}

  /** Removes the images of `app`'s releases beyond the newest `keep` (never the current one's). */
  async prune(app: AppRecord, keep = this.retention): Promise<void> {
    const current = keep > 0 ? (await this.apps.getApp(app.name))?.currentRelease : undefined;
    const mine = await this.apps.listReleases(app.name);
    // Other apps' releases are read only when this app has something to remove (most deploys have not).
    if (removableImages(mine, keep, new Set(), current).length === 0) return;
    const others = [];
    for (const a of await this.apps.listApps())
      if (a.name !== app.name) others.push({ releases: await this.apps.listReleases(a.name), current: a.currentRelease });
    const removable = new Set(removableImages(mine, keep, keptImages(others, this.retention), current));
    for (const id of removable) {
      if (await this.builds.removeImage(id, app.name)) await this.apps.images.forget(app.team, id);
    }
    // Their manifests too (the digest names the image, so a release still keeping it keeps its image id).
    if (this.registry) {
      const pushed = mine.filter((r) => r.registryImage);
      const dropped = pushed.filter((r) => removable.has(r.imageId)).map((r) => r.registryImage!);
      const stillKept = pushed.filter((r) => !removable.has(r.imageId)).map((r) => r.registryImage!);
      await this.registry.deleteManifests(manifestsToDelete(dropped, stillKept, this.registry.host));
    }
  }
}
