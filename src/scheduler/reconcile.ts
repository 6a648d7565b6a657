// Start-up reconciliation: adopt running processes of each app's current release without restarting them,
// re-publish their endpoints, retire leftovers of an interrupted rollout, restart what is missing, and mark
// releases that were mid-rollout as failed. Makes a control-plane crash converge to one serving release.
import type { Store } from '../store/store.js';
import type { EndpointRecord } from '../store/keys.js';
import type { Runtime } from '../runtime/runtime.js';
import type { AppRecords } from '../release/app-records.js';
import type { Scheduler } from './scheduler.js';
import { endpointInstance } from './process-spec.js';
import type { Logger } from '../shared/logger.js';

export async function reconcileOnStart(store: Store, runtime: Runtime, apps: AppRecords, scheduler: Scheduler, log: Logger): Promise<void> {
  for (const app of await apps.listApps()) {
    try {
      for (const r of await apps.listReleases(app.name)) {
        if (r.status === 'pending') await apps.setReleaseStatus(app.name, r.version, 'failed', 'interrupted by a control-plane restart');
      }
      const processes = await runtime.listProcesses({ kind: 'process', app: app.name });
      const live = processes.filter((c) => c.workload.release === app.currentRelease && c.running);
      const release = app.currentRelease ? await apps.getRelease(app.name, app.currentRelease) : null;
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
        if (c.workload.type !== 'web' || !release) continue;
        const address = (await runtime.processState(c.id))?.address;
        if (!address) continue;
        const rec: EndpointRecord = { host: address.host, port: address.port, release: release.version, container: c.id };
        await store.put(store.keys.endpoint(app.name, 'web', endpointInstance(release.version, c.workload.index ?? 1, c.workload.gen ?? '0')), rec);
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
