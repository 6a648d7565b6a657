// Reconciliation: adopt running processes of each app's current release without restarting them, re-publish their
// endpoints (at their current addresses), retire leftovers of an interrupted rollout and dead processes, start what is
// missing from the formation, and mark releases that were mid-rollout as failed. Run at start (a control-plane crash
// converges to one serving release) and whenever the runtime's event stream resumes after a gap (the Docker engine
// restarted: processes may have died, come back at new addresses, or kept running), docs/architecture.md §5.
import type { Store } from '../store/store.js';
import type { EndpointRecord } from '../store/keys.js';
import type { Runtime } from '../runtime/runtime.js';
import type { AppRecord, AppRecords, ReleaseRecord } from '../release/app-records.js';
import type { Scheduler } from './scheduler.js';
import { endpointInstance } from './process-spec.js';
import type { Logger } from '../shared/logger.js';

export interface ReconcileDeps {
  store: Store;
  runtime: Runtime;
  apps: AppRecords;
  scheduler: Scheduler;
  log: Logger;
}

/** Reconciles every app at start, one after another; an app that fails keeps its state and is logged. */
export async function reconcileOnStart(deps: ReconcileDeps): Promise<void> {
  for (const app of await deps.apps.listApps()) await reconcileApp(deps, app.name, { interrupted: true });
}

/**
 * A trigger that reconciles every app, each in its deploy queue (`exclusive`), for a runtime that lost events while
 * this ybd ran; calls while a pass runs coalesce into one more pass after it.
 */
export function reconcilerInQueues(deps: ReconcileDeps, exclusive: (app: string, fn: () => Promise<void>) => Promise<void>): () => void {
  let running = false;
  let again = false;
  const pass = async () => {
    do {
      again = false;
      deps.log.info('the runtime resumed after a gap; reconciling every app');
      for (const app of await deps.apps.listApps()) {
        await exclusive(app.name, () => reconcileApp(deps, app.name, { interrupted: false })).catch((err: unknown) =>
          deps.log.warn({ err, app: app.name }, 'reconciling the app failed'),
        );
      }
    } while (again);
  };
  return () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    pass()
      .catch((err: unknown) => deps.log.warn({ err }, 'reconciling after a gap failed'))
      .finally(() => (running = false));
  };
}

/**
 * Brings one app's processes in line with its current release and formation. `interrupted`: releases still pending
 * were cut short by a control-plane restart (never while this ybd may be rolling one out: callers that are not the
 * start run it in the app's deploy queue).
 */
export async function reconcileApp(deps: ReconcileDeps, name: string, o: { interrupted: boolean }): Promise<void> {
  const { store, runtime, apps, scheduler, log } = deps;
  try {
    const app = await apps.getApp(name);
    if (!app) return;
    if (o.interrupted) {
      for (const r of await apps.listReleases(app.name)) {
        if (r.status === 'pending') await apps.setReleaseStatus(app.name, r.version, 'failed', 'interrupted by a control-plane restart');
      }
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
      return;
    }
    if (release && live.length === 0) {
      log.info({ app: app.name, release: release.version }, 'no running processes of the current release; starting them');
      await scheduler.rollout(app, release, () => undefined);
      return;
    }
    const valid = new Set(live.map((c) => c.id));
    for (const c of live) {
      if (c.workload.type !== 'web' || !release) continue;
      const address = (await runtime.processState(c.id))?.address;
      if (!address) continue;
      const rec: EndpointRecord = { host: address.host, port: address.port, release: release.version, container: c.id };
      const key = store.keys.endpoint(app.name, 'web', endpointInstance(release.version, c.workload.index ?? 1, c.workload.gen ?? '0'));
      const cur = await store.get<EndpointRecord>(key);
      if (cur?.host !== rec.host || cur.port !== rec.port || cur.container !== rec.container) await store.put(key, rec);
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
    if (release) await restoreFormation(deps, app, release);
  } catch (err) {
    log.error({ err, app: name }, 'reconciling the app failed; it keeps its current state');
  }
}

/** Starts the processes of each type the formation wants beyond those still running (e.g. after they died unseen). */
async function restoreFormation({ scheduler, log }: ReconcileDeps, app: AppRecord, release: ReleaseRecord): Promise<void> {
  const running = (await scheduler.processes(app.name)).filter((c) => c.running && c.workload.release === release.version);
  for (const f of await scheduler.formationFor(app.name, release)) {
    const have = running.filter((c) => c.workload.type === f.type).length;
    if (have >= f.quantity) continue;
    log.info({ app: app.name, type: f.type, running: have, wanted: f.quantity }, 'starting the missing processes of the formation');
    await scheduler.scaleType(app, release, f, () => undefined);
  }
}
