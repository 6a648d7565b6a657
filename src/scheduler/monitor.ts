// Watches the runtime's process events (runtime.ts watch): when a web process dies or is asked to stop, its endpoint
// is withdrawn (routers stop sending it traffic); when the runtime's restart policy brings it back, it is re-published
// once it listens again (possibly at a new address). First starts belong to rollouts and are left alone. Events lost
// in a gap of the stream (the engine restarting) are made up for by a reconcile pass (onGap).
import type { Store } from '../store/store.js';
import type { EndpointRecord } from '../store/keys.js';
import { shortProcessId, type Runtime, type RuntimeEvent } from '../runtime/runtime.js';
import type { AppRecords } from '../release/app-records.js';
import type { Logger } from '../shared/logger.js';
import { endpointInstance } from './process-spec.js';
import { waitHealthy } from './health.js';

export class ProcessMonitor {
  private unwatch: (() => void) | undefined;

  constructor(
    private readonly store: Store,
    private readonly runtime: Runtime,
    private readonly apps: AppRecords,
    private readonly log: Logger,
    private readonly healthTimeoutMs = 60_000,
    /** Called when the runtime's events resume after a gap (reconcile.ts reconcilerInQueues). */
    private readonly onGap: () => void = () => undefined,
  ) {}

  async start(): Promise<void> {
    this.unwatch = await this.runtime.watch(
      (e) => void this.handle(e).catch((err: unknown) => this.log.warn({ err }, 'handling a process event failed')),
      () => this.onGap(),
    );
  }

  stop(): void {
    this.unwatch?.();
  }

  private async handle(e: RuntimeEvent): Promise<void> {
    const w = e.workload;
    const app = w.app;
    if (w.kind !== 'process' || !app || w.type !== 'web' || w.release === undefined || w.index === undefined) return;
    const key = this.store.keys.endpoint(app, 'web', endpointInstance(w.release, w.index, w.gen ?? '0'));
    // A stop signal withdraws it too: a process asked to stop by anyone but a rollout (a node drain on
    // Kubernetes) must get no new requests while it finishes the ones it has.
    if (e.action === 'die' || e.action === 'kill') {
      const cur = await this.store.get<EndpointRecord>(key);
      if (cur?.container === e.id) {
        await this.store.delete(key);
        this.log.info({ app, container: shortProcessId(e.id) }, 'process died; endpoint withdrawn');
      }
      return;
    }
    const state = await this.runtime.processState(e.id);
    if (!state || state.restarts === 0) return; // a first start: the rollout publishes it
    const record = await this.apps.getApp(app);
    const release = record?.currentRelease ? await this.apps.getRelease(app, record.currentRelease) : null;
    if (!release || release.version !== w.release) return;
    const outcome = await waitHealthy(this.runtime, e.id, { port: release.port, timeoutMs: this.healthTimeoutMs, uptimeMs: 0 });
    if (!outcome.healthy) return;
    const fresh = await this.runtime.processState(e.id);
    if (!fresh?.running || !fresh.address) return;
    const rec: EndpointRecord = { host: fresh.address.host, port: fresh.address.port, release: release.version, container: e.id };
    await this.store.put(key, rec);
    this.log.info({ app, container: shortProcessId(e.id), restarts: fresh.restarts }, 'restarted process is healthy; endpoint published');
  }
}
