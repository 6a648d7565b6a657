// Start-up reconciliation: adopt running containers of each app's current release without restarting them,
// re-publish their endpoints, retire leftovers of an interrupted rollout, restart what is missing, and mark
// releases that were mid-rollout as failed. Makes a control-plane crash converge to one serving release.
import type { Store } from '../store/store.js';
import type { EndpointRecord } from '../store/keys.js';
import { LABEL_APP, LABEL_INDEX, LABEL_KIND, LABEL_PROCESS, LABEL_RELEASE, type DockerRuntime } from '../runtime/docker.js';
import type { ReleaseRepo } from '../release/repo.js';
import { endpointInstance, LABEL_GEN, type Scheduler } from './rollout.js';
import type { Logger } from '../shared/logger.js';

export async function reconcileOnStart(store: Store, runtime: DockerRuntime, repo: ReleaseRepo, scheduler: Scheduler, log: Logger): Promise<void> {
  for (const app of await repo.listApps()) {
    try {
      for (const r of await repo.listReleases(app.name)) {
        if (r.status === 'pending') await repo.setReleaseStatus(app.name, r.version, 'failed', 'interrupted by a control-plane restart');
      }
      const containers = await runtime.list({ [LABEL_APP]: app.name, [LABEL_KIND]: 'process' });
      const current = String(app.currentRelease);
      const live = containers.filter((c) => c.labels[LABEL_RELEASE] === current && c.state === 'running');
      const release = app.currentRelease ? await repo.getRelease(app.name, app.currentRelease) : null;
      if (app.stopped) {
        await scheduler.retire(
          app.name,
          () => true,
          () => undefined,
        );
        continue;
      }
      if (release && live.length === 0) {
        log.info({ app: app.name, release: release.version }, 'no running processes of the current release; starting them');
        await scheduler.rollout(app, release, () => undefined);
        continue;
      }
      const valid = new Set(live.map((c) => c.id));
      for (const c of live) {
        if (c.labels[LABEL_PROCESS] !== 'web' || !release) continue;
        const info = await runtime.inspect(c.id);
        const port = info?.NetworkSettings.Ports[`${release.port}/tcp`]?.[0]?.HostPort;
        if (!port) continue;
        const rec: EndpointRecord = { host: '127.0.0.1', port: Number(port), release: release.version, container: c.id };
        await store.put(
          store.keys.endpoint(app.name, 'web', endpointInstance(release.version, Number(c.labels[LABEL_INDEX]), c.labels[LABEL_GEN] ?? '0')),
          rec,
        );
      }
      for (const e of await store.list<EndpointRecord>(store.keys.endpointsPrefix(app.name))) {
        if (!valid.has(e.value.container)) await store.delete(e.key);
      }
      await scheduler.retire(
        app.name,
        (c) => !valid.has(c.id),
        () => undefined,
      );
      if (live.length) log.info({ app: app.name, adopted: live.length }, 'adopted running processes');
    } catch (err) {
      log.error({ err, app: app.name }, 'reconciling the app failed; it keeps its current state');
    }
  }
}
