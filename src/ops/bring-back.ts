// The second half of a platform restore (docs/architecture.md §9), run by ybd on start before the reconcile while the
// restore marker says "apps": provisioned services get their container back with their newest backup loaded, and
// every kept release whose image is not on this machine gets it back — pulled from the registry by digest when it
// was pushed, else rebuilt from the app's restored git repo at the release's commit and tagged as before. The
// reconcile that follows starts the apps. A start killed meanwhile does it again (each step skips what is done).
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { PassThrough } from 'node:stream';
import type { Store } from '../store/store.js';
import type { AppRecord, AppRecords, ReleaseRecord } from '../release/app-records.js';
import type { BuildService } from '../build/build-service.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { Runtime } from '../runtime/runtime.js';
import type { ServiceManager } from '../services/service-manager.js';
import type { Logger } from '../shared/logger.js';
import { repoPath } from '../git/repos.js';
import { readRestoreMarker, writeRestoreMarker } from './restore.js';

const run = promisify(execFile);

export interface BringBackParts {
  store: Store;
  apps: AppRecords;
  builds: BuildService;
  scheduler: Scheduler;
  runtime: Runtime;
  services: ServiceManager;
  dataDir: string;
  log: Logger;
}

/** Does nothing unless a restore left its marker in phase "apps"; clears the marker when every step succeeded. */
export async function bringBackAfterRestore(p: BringBackParts): Promise<void> {
  const marker = readRestoreMarker(p.dataDir);
  if (marker?.phase !== 'apps') return;
  const t0 = Date.now();
  p.log.info({ backup: marker.manifest.createdAt, apps: marker.manifest.counts.apps }, 'restore: bringing apps and services back');
  let failures = 0;
  const servicesDone = new Set(marker.servicesDone ?? []);
  for (const s of await p.services.list()) {
    if (servicesDone.has(s.name)) continue;
    try {
      const newest = await p.services.recreate(s.name);
      if (newest) await p.services.restore(s.name, newest.id);
      if (newest) p.log.info({ service: s.name, backup: newest.id }, 'restore: service back with its newest backup');
      servicesDone.add(s.name);
      await writeRestoreMarker(p.dataDir, { ...marker, servicesDone: [...servicesDone] });
    } catch (err) {
      failures++;
      p.log.error({ err, service: s.name }, 'restore: the service could not be brought back');
    }
  }
  for (const app of await p.apps.listApps()) {
    const releases = await p.apps.listReleases(app.name);
    for (const r of bringBackOrder(releases, app.currentRelease)) {
      try {
        if (await p.scheduler.imageAvailable(r).catch(() => false)) continue;
        await rebuild(p, app, r, releases);
      } catch (err) {
        failures++;
        p.log.error({ err, app: app.name, release: r.version }, 'restore: the release image could not be brought back');
      }
    }
  }
  if (failures === 0) await writeRestoreMarker(p.dataDir, null);
  p.log.info({ ms: Date.now() - t0, failures }, failures ? 'restore: done with failures (the next start tries them again)' : 'restore: done');
}

/** One release per image, the current release's first (it is what serves), then newest first (what a rollback needs). Pure. */
export function bringBackOrder<R extends { version: number; image: string }>(releases: R[], current: number): R[] {
  const sorted = [...releases].sort((a, b) => Number(b.version === current) - Number(a.version === current) || b.version - a.version);
  const seen = new Set<string>();
  return sorted.filter((r) => !seen.has(r.image) && seen.add(r.image));
}

/** Rebuilds the image of `r` from its commit, tags it as `r.image`, and points every release of that image at it. */
async function rebuild(p: BringBackParts, app: AppRecord, r: ReleaseRecord, releases: ReleaseRecord[]): Promise<void> {
  if (r.builder === 'image') throw new Error(`release v${r.version} was deployed from an image that is gone; import it again and roll back to it`);
  const commit = r.build ? (await p.builds.get(app.name, r.build))?.sourceCommit : undefined;
  if (!commit || !/^[0-9a-f]{40}$/.test(commit)) throw new Error(`release v${r.version} has no source commit to rebuild from`);
  const repo = repoPath(p.dataDir, app.name);
  await run('git', ['--git-dir', repo, 'cat-file', '-e', `${commit}^{commit}`]);
  p.log.info({ app: app.name, release: r.version, commit }, 'restore: rebuilding the release image from its commit');
  const git = spawn('git', ['--git-dir', repo, 'archive', '--format=tar', commit], { stdio: ['ignore', 'pipe', 'ignore'] });
  // Piped at once: a child's stdout nobody reads yet is drained and dropped when the child exits (Node's flushStdio),
  // and the build reads its source only once it has a slot.
  const source = git.stdout.pipe(new PassThrough({ highWaterMark: 4 * 1024 * 1024 }));
  const built = await p.builds.build(
    {
      app: app.name,
      source,
      sourceCommit: commit,
      config: r.config,
      user: 'restore',
      buildpack: app.buildpack,
      access: { ownsImage: async (id) => (await p.apps.images.get(app.team, id)) !== null, incarnation: app.incarnation },
    },
    (line) => p.log.debug({ app: app.name }, line),
  );
  if (!built.imageId) throw new Error(`the rebuild of release v${r.version} produced no image`);
  await p.runtime.images.tag(built.imageId, r.image);
  await p.apps.images.record({ id: built.imageId, team: app.team, source: 'build', app: app.name, by: 'restore' });
  // The stored records (sealed config as stored) with only the image changed: a rebuild is not byte-identical, and
  // the registry copy is the rebuild's (pushed when YB_REGISTRY_PUSH is on) or none: the old one could not be pulled.
  for (const other of releases.filter((x) => x.image === r.image)) {
    const key = p.store.keys.release(app.name, other.version);
    const stored = await p.store.get<Record<string, unknown>>(key);
    if (stored) await p.store.put(key, { ...stored, imageId: built.imageId, registryImage: built.registryImage });
  }
}
