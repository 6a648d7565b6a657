// The scheduler: runs an app's processes on the runtime (runtime/runtime.ts) by the zero-downtime rollout of
// docs/architecture.md §5: start new → healthy → publish endpoints → withdraw old endpoints and wait for every live
// router → stop old gracefully. Deploys, restarts, resizes and scaling are all this one motion over a chosen set
// of processes. A failed health check stops the new processes; the old keep serving.
import { randomBytes } from 'node:crypto';
import type { Store } from '../store/store.js';
import type { EndpointRecord, RouterRecord } from '../store/keys.js';
import { RunTimeoutError, type Address, type ProcessInfo, type Runtime } from '../runtime/runtime.js';
import { readFormation, type AppRecord, type FormationRecord, type ReleaseRecord } from '../release/app-records.js';
import { YbError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { waitHealthy } from './health.js';
import { oneOffSize } from './sizes.js';
import { endpointInstance, oneOffSpec, processSpec } from './process-spec.js';
import { mountsOf } from '../storage/storage.js';
import { platformEvent } from '../logs/platform-events.js';
import { phaseClock, type Phases } from '../shared/phases.js';

export interface SchedulerSettings {
  healthTimeoutMs: number;
  uptimeMs: number;
  stopGraceSeconds: number;
  routerConfirmTimeoutMs: number;
  /** Limit of release-phase, predeploy and postdeploy containers (YB_RELEASE_TIMEOUT). */
  oneOffTimeoutMs?: number;
}

export type Progress = (line: string) => void;

interface Started {
  id: string;
  type: string;
  index: number;
  gen: string;
  address?: Address;
  /** Process start, and then the health check, in ms (shown to the deployer). */
  startMs: number;
  healthMs: number;
}

/** Which process types of a release run, and how many: stored formation, else app.json, else web=1. Pure. */
export function plannedFormation(release: Pick<ReleaseRecord, 'processTypes' | 'manifest'>, stored: FormationRecord[]): FormationRecord[] {
  const out: FormationRecord[] = [];
  for (const type of Object.keys(release.processTypes)) {
    if (type === 'release') continue;
    const have = stored.find((s) => s.type === type);
    const fromManifest = release.manifest?.formation[type];
    out.push(have ?? { type, quantity: fromManifest?.quantity ?? (type === 'web' ? 1 : 0), size: fromManifest?.size });
  }
  return out;
}

/** What the scheduler needs of the platform's registry: a release's image back by digest when the engine lost it. */
export interface ImagePuller {
  pull(ref: string, tag: string | undefined, emit: (line: string) => void): Promise<void>;
}

export class Scheduler {
  constructor(
    private readonly store: Store,
    private readonly runtime: Runtime,
    private readonly settings: SchedulerSettings,
    private readonly log: Logger,
    private readonly registry?: ImagePuller,
  ) {}

  /** Seconds a stopping process gets between SIGTERM and SIGKILL (YB_STOP_GRACE). */
  get stopGraceSeconds(): number {
    return this.settings.stopGraceSeconds;
  }

  /** Starts one process of `release` for `f.type`; waits until it is healthy or throws UNHEALTHY. */
  private async startInstance(app: AppRecord, release: ReleaseRecord, f: FormationRecord, index: number): Promise<Started> {
    const web = f.type === 'web';
    const gen = randomBytes(3).toString('hex');
    const t0 = Date.now();
    const network = await this.runtime.ensureNetwork(app.team);
    const volumes = await mountsOf(this.store, this.runtime.instance, app.name, f.type);
    const { id, address } = await this.runtime.startProcess(processSpec(this.runtime.instance, app, release, f, index, gen, network, volumes));
    // docs/architecture.md §5: a configured check (app.json healthchecks, CHECKS, the image's HEALTHCHECK) is the health
    // check; the "stays up a few seconds" wait belongs to the default check only.
    const tStarted = Date.now();
    const http = release.manifest?.healthchecks[f.type];
    const configured = Boolean(http?.length) || release.imageHealthcheck === true;
    const outcome = await waitHealthy(this.runtime, id, {
      port: web ? release.port : undefined,
      address,
      http,
      imageHealthcheck: release.imageHealthcheck,
      timeoutMs: this.settings.healthTimeoutMs,
      uptimeMs: configured ? 0 : this.settings.uptimeMs,
    });
    if (!outcome.healthy) {
      platformEvent(app.name, 'deploy', `${f.type}.${index} of v${release.version} failed its health check: ${outcome.reason}`);
      const tail = await this.runtime.logsTail(id, 15).catch(() => [] as string[]);
      await this.runtime.stopProcess(id, 0);
      throw new YbError('YB_ERR_UNHEALTHY', `${f.type}.${index} of v${release.version} failed its health check: ${outcome.reason}`, {
        hint: tail.length ? `last output:\n${tail.join('\n')}` : undefined,
      });
    }
    return { id, type: f.type, index, gen, address: outcome.address ?? address, startMs: tStarted - t0, healthMs: Date.now() - tStarted };
  }

  /** The formation of a release, persisting defaults for types that had none. */
  async formationFor(app: string, release: ReleaseRecord): Promise<FormationRecord[]> {
    const stored = await readFormation(this.store, app);
    const planned = plannedFormation(release, stored);
    for (const f of planned) if (!stored.some((s) => s.type === f.type)) await this.store.put(this.store.keys.formation(app, f.type), f);
    return planned;
  }

  async processes(app: string): Promise<ProcessInfo[]> {
    return this.runtime.listProcesses({ kind: 'process', app });
  }

  /**
   * Replaces the processes of `types` (default: all) with fresh ones of `release` per the formation, then retires
   * every other process of those types. Resolves only when the new processes receive the traffic, to where the time
   * went: start (the slowest process's, until it ran), health (its check), switch and stop (shared/phases.ts).
   */
  async rollout(app: AppRecord, release: ReleaseRecord, progress: Progress, types?: string[]): Promise<Phases> {
    const phases: Phases = {};
    const mark = phaseClock(phases);
    const formation = (await this.formationFor(app.name, release)).filter((f) => f.quantity > 0 && (!types || types.includes(f.type)));
    const jobs: Array<{ f: FormationRecord; index: number }> = [];
    for (const f of formation) {
      progress(`Starting ${f.quantity} ${f.type} process${f.quantity > 1 ? 'es' : ''} of v${release.version}`);
      for (let i = 1; i <= f.quantity; i++) jobs.push({ f, index: i });
    }
    const started = await this.startAll(app, release, jobs);
    const healthy = Date.now();
    if (started.length) {
      const slowest = started.reduce((a, b) => (a.startMs + a.healthMs >= b.startMs + b.healthMs ? a : b));
      mark('start', healthy - slowest.healthMs);
      progress(
        `Healthy (started in ${(slowest.startMs / 1000).toFixed(1)} s, passed its health check ${(slowest.healthMs / 1000).toFixed(1)} s later); switching traffic`,
      );
    }
    mark('health', healthy);
    const keep = new Set(started.map((s) => s.id));
    const { switched } = await this.retire(app.name, (c) => !keep.has(c.id) && (!types || types.includes(c.workload.type ?? '')), progress, {
      version: release.version,
      started,
    });
    mark('switch', switched);
    mark('stop');
    return phases;
  }

  /** Changes the number of processes of one type without touching the others (same release, same size). */
  async scaleType(app: AppRecord, release: ReleaseRecord, f: FormationRecord, progress: Progress): Promise<void> {
    const current = (await this.processes(app.name)).filter((c) => c.workload.type === f.type && c.workload.release === release.version);
    const indexes = new Set(current.map((c) => c.workload.index));
    const missing: Array<{ f: FormationRecord; index: number }> = [];
    for (let i = 1; i <= f.quantity; i++) if (!indexes.has(i)) missing.push({ f, index: i });
    if (missing.length) progress(`Starting ${missing.length} ${f.type} process${missing.length > 1 ? 'es' : ''}`);
    const started = await this.startAll(app, release, missing);
    await this.retire(
      app.name,
      (c) => c.workload.type === f.type && (c.workload.release !== release.version || (c.workload.index ?? 0) > f.quantity),
      progress,
      { version: release.version, started },
    );
  }

  private async startAll(app: AppRecord, release: ReleaseRecord, jobs: Array<{ f: FormationRecord; index: number }>): Promise<Started[]> {
    // Only with a registry: without one a missing image fails at container create, as before, with no extra call.
    if (jobs.length && this.registry) await this.imageAvailable(release, (l) => this.log.info({ app: app.name, release: release.version }, l));
    const started: Started[] = [];
    const results = await Promise.allSettled(jobs.map((j) => this.startInstance(app, release, j.f, j.index).then((s) => (started.push(s), s))));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await Promise.all(started.map((s) => this.runtime.stopProcess(s.id, 0)));
      throw failed.reason;
    }
    return started;
  }

  /**
   * Moves traffic (docs/architecture.md §5, steps 3–5): the endpoints of `incoming` (new, healthy processes) are written and
   * those of the processes `doomed` selects removed in one etcd transaction, so routers switch in one step; once
   * every live router has applied it, the doomed processes are stopped gracefully (SIGTERM, grace period, SIGKILL).
   * Resolves to when the switch was done (before the stops).
   */
  async retire(
    app: string,
    doomed: (c: ProcessInfo) => boolean,
    progress: Progress,
    incoming?: { version: number; started: Started[] },
  ): Promise<{ switched: number }> {
    const containers = (await this.processes(app)).filter(doomed);
    const ids = new Set(containers.map((c) => c.id));
    const puts: Array<{ key: string; value: EndpointRecord }> = [];
    for (const s of incoming?.started ?? []) {
      if (s.type !== 'web' || !s.address) continue;
      const value: EndpointRecord = { host: s.address.host, port: s.address.port, release: incoming!.version, container: s.id };
      puts.push({ key: this.store.keys.endpoint(app, 'web', endpointInstance(incoming!.version, s.index, s.gen)), value });
    }
    const endpoints = containers.length ? await this.store.list<EndpointRecord>(this.store.keys.endpointsPrefix(app)) : [];
    const deletes = endpoints.filter((e) => ids.has(e.value.container)).map((e) => e.key);
    if (puts.length || deletes.length) await this.waitForRouters(await this.store.commit(puts, deletes));
    const switched = Date.now();
    if (containers.length === 0) return { switched };
    progress(`Stopping ${containers.length} old process${containers.length > 1 ? 'es' : ''}`);
    await Promise.all(containers.map((c) => this.runtime.stopProcess(c.id, this.settings.stopGraceSeconds)));
    return { switched };
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
      await new Promise((r) => setTimeout(r, 15));
    }
  }

  /**
   * Runs `command` once in a fresh container of `release` (release phase, deploy scripts) with the web process's
   * size; resolves to its exit code. Past YB_RELEASE_TIMEOUT the container is killed and removed and the step fails.
   */
  async runOneOff(
    app: AppRecord,
    release: ReleaseRecord,
    command: string,
    onLine: (line: string) => void,
    timeoutMs = this.settings.oneOffTimeoutMs ?? 30 * 60_000,
  ): Promise<number> {
    const network = await this.runtime.ensureNetwork(app.team);
    const size = oneOffSize(await readFormation(this.store, app.name));
    if (this.registry) await this.imageAvailable(release, onLine);
    try {
      const volumes = await mountsOf(this.store, this.runtime.instance, app.name);
      return await this.runtime.runTask(oneOffSpec(app, release, command, size, network, timeoutMs, volumes), onLine);
    } catch (err) {
      if (!(err instanceof RunTimeoutError)) throw err;
      throw new YbError(
        'YB_ERR_DEPLOY_FAILED',
        `"${command.slice(0, 80)}" ran longer than the ${Math.round(timeoutMs / 1000)} s limit (YB_RELEASE_TIMEOUT) and was stopped`,
        { cause: err },
      );
    }
  }

  /**
   * Whether the release's image is on the engine; when it is gone but was pushed (YB_REGISTRY_PUSH), it is pulled
   * from the registry by digest first and tagged with its platform tag again (which marks it as the app's).
   */
  async imageAvailable(release: ReleaseRecord, progress: Progress = () => undefined): Promise<boolean> {
    const ref = release.imageId || release.image;
    if (await this.runtime.images.exists(ref)) return true;
    if (!release.registryImage || !this.registry) return false;
    await this.registry.pull(release.registryImage, release.builder === 'image' ? undefined : release.image, progress);
    return this.runtime.images.exists(ref);
  }

  /** Removes every container and endpoint of an app (app destroy). */
  async stopApp(app: string): Promise<void> {
    await this.retire(
      app,
      () => true,
      () => undefined,
    );
    await this.store.deletePrefix(this.store.keys.endpointsPrefix(app));
  }
}
