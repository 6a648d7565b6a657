// Watches Docker events of our app processes: when one dies its endpoint is withdrawn (routers stop sending it
// traffic); when Docker's restart policy brings it back, it is re-published once it listens again (possibly on a
// new host port). First starts belong to rollouts and are left alone.
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Store } from '../store/store.js';
import type { EndpointRecord } from '../store/keys.js';
import { LABEL_APP, LABEL_INDEX, LABEL_INSTANCE, LABEL_KIND, LABEL_PROCESS, LABEL_RELEASE, type DockerRuntime } from '../runtime/docker.js';
import type { ReleaseRepo } from '../release/repo.js';
import type { Logger } from '../shared/logger.js';
import { endpointInstance, LABEL_GEN } from './rollout.js';
import { waitHealthy } from './health.js';

interface DockerEvent {
  status?: string;
  Action?: string;
  id?: string;
  Actor?: { ID: string; Attributes: Record<string, string> };
}

export class ProcessMonitor {
  private stopped = false;
  private stream?: Readable;

  constructor(
    private readonly store: Store,
    private readonly runtime: DockerRuntime,
    private readonly repo: ReleaseRepo,
    private readonly log: Logger,
    private readonly healthTimeoutMs = 60_000,
  ) {}

  async start(): Promise<void> {
    const filters = { type: ['container'], event: ['die', 'start'], label: [`${LABEL_INSTANCE}=${this.runtime.instance}`, `${LABEL_KIND}=process`] };
    const stream = (await this.runtime.call(() => this.runtime.docker.getEvents({ filters: JSON.stringify(filters) }))) as unknown as Readable;
    this.stream = stream;
    const lines = createInterface({ input: stream });
    lines.on('line', (line) => {
      let ev: DockerEvent;
      try {
        ev = JSON.parse(line) as DockerEvent;
      } catch {
        return; // not an event line
      }
      void this.handle(ev).catch((err: unknown) => this.log.warn({ err }, 'handling a process event failed'));
    });
    stream.on('close', () => {
      if (this.stopped) return;
      this.log.warn('the Docker event stream closed; reconnecting');
      setTimeout(() => void this.start().catch((err: unknown) => this.log.error({ err }, 'cannot watch Docker events')), 1000);
    });
  }

  stop(): void {
    this.stopped = true;
    this.stream?.destroy();
  }

  private async handle(ev: DockerEvent): Promise<void> {
    const action = ev.Action ?? ev.status;
    const id = ev.Actor?.ID ?? ev.id;
    const labels = ev.Actor?.Attributes ?? {};
    const app = labels[LABEL_APP];
    if (!id || !app || labels[LABEL_PROCESS] !== 'web') return;
    const key = this.store.keys.endpoint(app, 'web', endpointInstance(Number(labels[LABEL_RELEASE]), Number(labels[LABEL_INDEX]), labels[LABEL_GEN] ?? '0'));
    if (action === 'die') {
      const cur = await this.store.get<EndpointRecord>(key);
      if (cur?.container === id) {
        await this.store.delete(key);
        this.log.info({ app, container: id.slice(0, 12) }, 'process died; endpoint withdrawn');
      }
      return;
    }
    const info = await this.runtime.inspect(id);
    if (!info || info.RestartCount === 0) return; // a first start: the rollout publishes it
    const record = await this.repo.getApp(app);
    const release = record?.currentRelease ? await this.repo.getRelease(app, record.currentRelease) : null;
    if (!release || String(release.version) !== labels[LABEL_RELEASE]) return;
    const outcome = await waitHealthy(this.runtime, id, { port: release.port, timeoutMs: this.healthTimeoutMs, uptimeMs: 0 });
    if (!outcome.healthy) return;
    const fresh = await this.runtime.inspect(id);
    const hostPort = fresh?.NetworkSettings.Ports[`${release.port}/tcp`]?.[0]?.HostPort;
    if (!fresh?.State.Running || !hostPort) return;
    const rec: EndpointRecord = { host: '127.0.0.1', port: Number(hostPort), release: release.version, container: id };
    await this.store.put(key, rec);
    this.log.info({ app, container: id.slice(0, 12), restarts: fresh.RestartCount }, 'restarted process is healthy; endpoint published');
  }
}
