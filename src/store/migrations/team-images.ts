// Layout 1: every image a build made is recorded as its team's (`team-images/<team>/<image id>`). Platforms before
// it recorded ownership only for imports and for builds made after the record existed; ybd then scanned all of a
// team's releases on every ownership check. Reads the layout as layout 0 wrote it (shapes declared here, frozen:
// later changes to the release record must not change what this step reads). Idempotent: records only what is absent.
import type { Store } from '../store.js';

/** The fields layout 0 stored in `apps/<app>` and `apps/<app>/releases/<n>` that this step reads. */
interface AppV0 {
  name: string;
  team: string;
}
interface ReleaseV0 {
  version: number;
  imageId?: string;
  builder?: string;
  createdBy?: string;
  createdAt?: string;
}

/** One `team-images/<team>/<image id>` record that a built release implies, or null when it implies none. */
export function ownerRecordFor(app: AppV0, rel: ReleaseV0): { team: string; id: string; value: Record<string, unknown> } | null {
  // The scan this replaces counted releases whose image a build made (builder other than `image`: deploy:image
  // releases deploy what the team already owned, or what an admin chose).
  if (rel.builder === 'image' || !rel.imageId || !/^sha256:[0-9a-f]{64}$/.test(rel.imageId)) return null;
  return {
    team: app.team,
    id: rel.imageId,
    value: {
      id: rel.imageId,
      team: app.team,
      source: 'build',
      app: app.name,
      by: rel.createdBy ?? 'layout-migration',
      at: rel.createdAt ?? new Date().toISOString(),
    },
  };
}

/** Records the owner of every built release's image; `onWrite` is told of each record written. Returns how many. */
export async function recordTeamImages(store: Store, onWrite: () => void = () => undefined): Promise<number> {
  const k = store.keys;
  const depth = k.appsPrefix().length;
  const apps = (await store.list<AppV0>(k.appsPrefix())).filter((e) => !e.key.slice(depth).includes('/')).map((e) => e.value);
  let written = 0;
  for (const app of apps) {
    for (const { value: rel } of await store.list<ReleaseV0>(k.releasesPrefix(app.name))) {
      const rec = ownerRecordFor(app, rel);
      if (rec && (await store.create(k.teamImage(rec.team, rec.id), rec.value))) {
        written++;
        onWrite();
      }
    }
  }
  return written;
}
