// Reconciliation: adopt running processes of each app's current release without restarting them, re-publish their
// endpoints (at their current addresses), retire leftovers of an interrupted rollout and dead processes, start what is
// missing from the formation, and mark releases that were mid-rollout as failed. Run at start (a control-plane crash
// converges to one serving release) and whenever the runtime's event stream resumes after a gap (the Docker engine
// restarted: processes may have died, come back at new addresses, or kept running), docs/architecture.md §5.
import type { Store } from '../store/store.js';
import type { EndpointRecord } from '../store/keys.js';
import type { ProcessInfo, Runtime } from '../runtime/runtime.js';
import type { AppRecord, AppRecords, ReleaseRecord } from '../release/app-records.js';
import type { Scheduler } from './scheduler.js';
import { endpointInstance } from './process-spec.js';
import type { Logger } from '../shared/logger.js';
import { eachLimited } from '../shared/each-limited.js';

export interface ReconcileDeps {
  store: Store;
  runtime: Runtime;
  apps: AppRecords;
  scheduler: Scheduler;
  log: Logger;
}

/** Apps reconciled at once at start: each waits mostly on the engine and etcd, and apps share nothing here. */
const START_CONCURRENCY = 8;

/**
 * Reconciles every app at start, a few at a time; an app that fails keeps its state and is logged. Every process is
 * listed once, not once per app: the engine filters its whole container list for each call, so listing per app
 * costs O(apps²) and a thousand apps took minutes to adopt (issue #21, docs/architecture.md §5).
 */
export async function reconcileOnStart(deps: ReconcileDeps): Promise<void> {
  const byApp = new Map<string, ProcessInfo[]>();
  for (const c of await deps.runtime.listProcesses({ kind: 'process' })) {
    if (!c.workload.app) continue;
    const list = byApp.get(c.workload.app);
    if (list) list.push(c);
    else byApp.set(c.workload.app, [c]);
  }
  const names = (await deps.apps.listApps()).map((a) => a.name);
  await eachLimited(names, START_CONCURRENCY, (name) => reconcileApp(deps, name, { interrupted: true, listed: byApp.get(name) ?? [] }));
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
export async function reconcileApp(deps: ReconcileDeps, name: string, o: { interrupted: boolean; listed?: ProcessInfo[] }): Promise<void> {
  const { store, runtime, apps, scheduler, log } = deps;
  try {
    const app = await apps.getApp(name);
    if (!app) return;
    if (o.interrupted) {
      for (const version of await apps.pendingReleases(app.name))
        await apps.setReleaseStatus(app.name, version, 'failed', 'interrupted by a control-plane restart');
    }
    const processes = o.listed ?? (await runtime.listProcesses({ kind: 'process', app: app.name }));
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
    // Nothing to retire when every listed process is adopted: retire would list them all again to find that out.
    if (processes.some((c) => !valid.has(c.id)))
      await scheduler.retire(
        app.name,
        (c) => !valid.has(c.id),
        () => undefined,
      );
    if (live.length) log.info({ app: app.name, adopted: live.length }, 'adopted running processes');
    if (release) await restoreFormation(deps, app, release, live);
  } catch (err) {
    log.error({ err, app: name }, 'reconciling the app failed; it keeps its current state');
  }
}

/**
 * Starts the processes of each type the formation wants beyond those still running (e.g. after they died unseen);
 * `running`: the app's running processes of `release`, as the reconcile found them.
 */
async function restoreFormation({ scheduler, log }: ReconcileDeps, app: AppRecord, release: ReleaseRecord, running: ProcessInfo[]): Promise<void> {
  for (const f of await scheduler.formationFor(app.name, release)) {
    const have = running.filter((c) => c.workload.type === f.type).length;
    if (have >= f.quantity) continue;
    log.info({ app: app.name, type: f.type, running: have, wanted: f.quantity }, 'starting the missing processes of the formation');
    await scheduler.scaleType(app, release, f, () => undefined);
  }
}
