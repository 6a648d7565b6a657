// Zero-downtime rollout of a release (DESIGN.md §5): start new → healthy → publish endpoints → withdraw
// old endpoints and wait for every live router → stop old. A failed health check leaves the old release serving.
import type { Store } from '../store/store.js';
import type { EndpointRecord, RouterRecord } from '../store/keys.js';
import { LABEL_APP, LABEL_INDEX, LABEL_KIND, LABEL_PROCESS, LABEL_RELEASE, type DockerRuntime } from '../runtime/docker.js';
import type { AppRecord, FormationRecord, ReleaseRecord } from '../release/repo.js';
import { YbError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { waitHealthy } from './health.js';
import { parseSize } from './sizes.js';

export interface SchedulerSettings {
  healthTimeoutMs: number;
  uptimeMs: number;
  stopGraceSeconds: number;
  routerConfirmTimeoutMs: number;
}

export type Progress = (line: string) => void;

interface Started {
  id: string;
  type: string;
  index: number;
  hostPort?: number;
}

/** The container command of a process: buildpack slugs go through yb-launch; images keep their own default. */
export function processCommand(release: Pick<ReleaseRecord, 'builder'>, command: string): string[] | undefined {
  if (release.builder === 'buildpacks') return ['/usr/local/bin/yb-launch', command];
  return command ? ['/bin/sh', '-c', command] : undefined;
}

/** Docker names are global to the engine, so they carry the platform instance (several may share one engine). */
export function containerName(instance: string, app: string, type: string, index: number, release: number): string {
  return `${instance}.${app}.${type}.${index}.v${release}`;
}

export function endpointInstance(release: number, index: number): string {
  return `v${release}.${index}`;
}

export class Scheduler {
  constructor(
    private readonly store: Store,
    private readonly runtime: DockerRuntime,
    private readonly settings: SchedulerSettings,
    private readonly log: Logger,
  ) {}

  /** Starts one container of `release` for process `type`; waits until it is healthy or throws UNHEALTHY. */
  private async startInstance(app: AppRecord, release: ReleaseRecord, f: FormationRecord, index: number): Promise<Started> {
    const command = release.processTypes[f.type]!;
    const size = parseSize(f.size);
    const web = f.type === 'web';
    const { id, hostPort } = await this.runtime.startApp({
      name: containerName(this.runtime.instance, app.name, f.type, index, release.version),
      image: release.imageId || release.image,
      cmd: processCommand(release, command),
      env: { ...release.config, PORT: String(release.port), DYNO: `${f.type}.${index}`, YB_APP: app.name, YB_RELEASE: `v${release.version}` },
      labels: {
        [LABEL_APP]: app.name,
        [LABEL_RELEASE]: String(release.version),
        [LABEL_PROCESS]: f.type,
        [LABEL_INDEX]: String(index),
        [LABEL_KIND]: 'process',
      },
      port: web ? release.port : undefined,
      memoryBytes: size.memoryBytes,
      nanoCpus: size.nanoCpus,
    });
    const outcome = await waitHealthy(this.runtime, id, {
      port: web ? release.port : undefined,
      timeoutMs: this.settings.healthTimeoutMs,
      uptimeMs: this.settings.uptimeMs,
    });
    if (!outcome.healthy) {
      const tail = await this.runtime.logsTail(id, 15).catch(() => [] as string[]);
      await this.runtime.stopAndRemove(id, 0);
      throw new YbError('YB_ERR_UNHEALTHY', `${f.type}.${index} of v${release.version} failed its health check: ${outcome.reason}`, {
        hint: tail.length ? `last output:\n${tail.join('\n')}` : undefined,
      });
    }
    return { id, type: f.type, index, hostPort };
  }

  /** The formation to run for a release: stored quantities, defaulting to web=1 when the app has a web process. */
  async formationFor(app: string, release: ReleaseRecord): Promise<FormationRecord[]> {
    const stored = (await this.store.list<FormationRecord>(this.store.keys.formationPrefix(app))).map((e) => e.value);
    const out: FormationRecord[] = [];
    for (const type of Object.keys(release.processTypes)) {
      if (type === 'release') continue;
      const f = stored.find((s) => s.type === type) ?? { type, quantity: type === 'web' ? 1 : 0 };
      if (!stored.some((s) => s.type === type)) await this.store.put(this.store.keys.formation(app, type), f);
      out.push(f);
    }
    return out;
  }

  /** Rolls `release` out for `app`; resolves only when the new release is what receives traffic. */
  async rollout(app: AppRecord, release: ReleaseRecord, progress: Progress): Promise<void> {
    const formation = (await this.formationFor(app.name, release)).filter((f) => f.quantity > 0);
    const started: Started[] = [];
    try {
      const jobs: Promise<Started>[] = [];
      for (const f of formation) {
        progress(`Starting ${f.quantity} ${f.type} process${f.quantity > 1 ? 'es' : ''} of v${release.version}`);
        for (let i = 1; i <= f.quantity; i++) jobs.push(this.startInstance(app, release, f, i).then((s) => (started.push(s), s)));
      }
      const results = await Promise.allSettled(jobs);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    } catch (err) {
      await Promise.all(started.map((s) => this.runtime.stopAndRemove(s.id, 0)));
      throw err;
    }
    progress('Healthy; switching traffic');
    await this.publish(app.name, release.version, started);
    await this.retire(app.name, (labels) => labels[LABEL_RELEASE] !== String(release.version), progress);
  }

  private async publish(app: string, version: number, started: Started[]): Promise<void> {
    for (const s of started) {
      if (s.type !== 'web' || !s.hostPort) continue;
      const rec: EndpointRecord = { host: '127.0.0.1', port: s.hostPort, release: version, container: s.id };
      await this.store.put(this.store.keys.endpoint(app, 'web', endpointInstance(version, s.index)), rec);
    }
  }

  /**
   * Withdraws the endpoints of the containers `doomed` selects, waits until every live router has applied
   * that, then stops those containers gracefully.
   */
  async retire(app: string, doomed: (labels: Record<string, string>) => boolean, progress: Progress): Promise<void> {
    const containers = (await this.runtime.list({ [LABEL_APP]: app, [LABEL_KIND]: 'process' })).filter((c) => doomed(c.labels));
    const ids = new Set(containers.map((c) => c.id));
    const endpoints = await this.store.list<EndpointRecord>(this.store.keys.endpointsPrefix(app));
    let revision = 0;
    for (const e of endpoints) if (ids.has(e.value.container)) revision = await this.store.delete(e.key);
    if (revision > 0) await this.waitForRouters(revision);
    if (containers.length) progress(`Stopping ${containers.length} old process${containers.length > 1 ? 'es' : ''}`);
    await Promise.all(containers.map((c) => this.runtime.stopAndRemove(c.id, this.settings.stopGraceSeconds)));
  }

  /** Waits until every live router reports a table at or after `revision` (bounded; a dead router's lease expires). */
  async waitForRouters(revision: number): Promise<void> {
    const deadline = Date.now() + this.settings.routerConfirmTimeoutMs;
    for (;;) {
      const routers = await this.store.list<RouterRecord>(this.store.keys.routersPrefix());
      const behind = routers.filter((r) => r.value.revision < revision);
      if (behind.length === 0) return;
      if (Date.now() > deadline) {
        this.log.warn({ revision, behind: behind.map((r) => r.value.id) }, 'routers did not confirm the route change in time; continuing');
        return;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async imageAvailable(release: ReleaseRecord): Promise<boolean> {
    return this.runtime.imageExists(release.imageId || release.image);
  }

  /** Removes every container and endpoint of an app (app destroy). */
  async stopApp(app: string): Promise<void> {
    await this.retire(app, () => true, () => undefined);
    await this.store.deletePrefix(this.store.keys.endpointsPrefix(app));
  }
}
