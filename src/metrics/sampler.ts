// Samples every few seconds (never per scrape): the router's per-app counters (its admin /metrics), Docker stats
// of every app process, and build records; keeps an hour of points per app in memory and on disk
// ($YB_DATA_DIR/metrics/series.jsonl, a journal: series-journal.ts) and sets the control plane's gauges.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../store/store.js';
import type { ProcessState, Runtime } from '../runtime/runtime.js';
import { RecentReads } from '../shared/recent-reads.js';
import type { Logger } from '../shared/logger.js';
import { eachLimited } from '../shared/each-limited.js';
import type { PlatformMetrics } from './platform-metrics.js';
import { parsePromText, routerCounters, type RouterCounters } from './prom-text.js';
import { summarize, type AppSummary, type Point, type TypeUsage } from './series.js';
import { timeline, type TimelineEntry } from './timeline.js';
import { SeriesJournal } from './series-journal.js';

export const WINDOW_MS = 60 * 60 * 1000;
/** Processes read at once per sample. */
const USAGE_CONCURRENCY = 8;
/**
 * A process's state (its restart count, and on Docker its pid, from which the usage is read) is asked of the runtime
 * once a minute, not at every sample: one engine inspection per process every 15 s was most of ybd's and the engine's
 * idle CPU with a thousand apps (issue #21). A process restarted meanwhile is read through the engine until then.
 */
const STATE_TTL_MS = 60_000;

interface BuildLike {
  id: string;
  app: string;
  status: string;
  createdAt: string;
  finishedAt?: string;
}

export class MetricsSampler {
  private readonly points = new Map<string, Point[]>();
  private readonly seenBuilds = new Set<string>();
  private readonly states = new RecentReads<ProcessState>(STATE_TTL_MS);
  /** When each destroyed app was forgotten: a sample that started before that may hold its readings, which must not come back. */
  private readonly forgotten = new Map<string, number>();
  private firstBuildScan = true;
  private timer: NodeJS.Timeout | undefined;
  private readonly journal: SeriesJournal;

  constructor(
    private readonly opts: { dataDir: string; routerAdminUrl: string; intervalMs: number },
    private readonly store: Store,
    private readonly runtime: Runtime,
    private readonly metrics: PlatformMetrics,
    private readonly log: Logger,
  ) {
    const dir = join(opts.dataDir, 'metrics');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Rewritten once it holds an hour of samples: the file stays within two hours of points.
    const samplesPerWindow = Math.ceil(WINDOW_MS / Math.max(1000, opts.intervalMs));
    this.journal = new SeriesJournal(join(dir, 'series.jsonl'), samplesPerWindow, (err) => this.log.warn({ err }, 'rewriting the metrics journal failed'));
    try {
      this.journal.load(this.points, (p) => ({ ...p, router: p.router && revive(p.router) }));
    } catch (err) {
      this.points.clear();
      this.log.warn({ err }, 'metrics series file unreadable; starting afresh');
    }
    const cutoff = Date.now() - WINDOW_MS - opts.intervalMs * 2;
    for (const [app, list] of this.points) {
      const kept = list.filter((p) => p.t >= cutoff);
      if (kept.length) this.points.set(app, kept);
      else this.points.delete(app);
    }
  }

  start(): void {
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.opts.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One sample of everything; failures of one source do not stop the others. */
  async sample(): Promise<void> {
    const started = Date.now();
    const [router, usage] = await Promise.all([
      this.scrapeRouter().catch((err: unknown) => (this.log.debug({ err }, 'router metrics not available'), null)),
      this.containerUsage().catch((err: unknown) => (this.log.warn({ err }, 'container stats failed'), null)),
      this.scanBuilds().catch((err: unknown) => this.log.warn({ err }, 'reading build records for metrics failed')),
    ]);
    const t = Date.now();
    const apps = new Set([...Object.keys(router ?? {}), ...Object.keys(usage ?? {}), ...this.points.keys()]);
    const added: Record<string, Point> = {};
    for (const app of apps) {
      if ((this.forgotten.get(app) ?? -Infinity) >= started) continue;
      const list = (this.points.get(app) ?? []).filter((p) => p.t >= t - WINDOW_MS - this.opts.intervalMs * 2);
      const point: Point = { t };
      // A router that answered without a line for the app has served it nothing since it started: a reading of zero
      // (the autoscaler's window needs readings of an idle app too; a drop from earlier counts as a restart).
      if (router) point.router = router[app] ?? idle();
      if (usage) point.types = usage[app] ?? {};
      if (point.router || point.types) {
        list.push(point);
        added[app] = point;
      }
      if (list.length) this.points.set(app, list);
      else this.points.delete(app);
    }
    try {
      this.journal.appendSample(t, added, () => this.points);
    } catch (err) {
      this.log.warn({ err }, 'saving the metrics series failed');
    }
    this.metrics.sampleDuration.set((Date.now() - started) / 1000);
  }

  async scrapeRouter(): Promise<Record<string, RouterCounters>> {
    const res = await fetch(`${this.opts.routerAdminUrl}/metrics`, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) throw new Error(`router /metrics answered ${res.status}`);
    return routerCounters(parsePromText(await res.text()));
  }

  private async containerUsage(): Promise<Record<string, Record<string, TypeUsage>>> {
    const processes = (await this.runtime.listProcesses({ kind: 'process' })).filter((c) => c.running);
    this.states.keepOnly(new Set(processes.map((c) => c.id)));
    const out: Record<string, Record<string, TypeUsage>> = {};
    // A few at a time: a thousand processes at once would queue a thousand engine requests in one burst (issue #21).
    await eachLimited(processes, USAGE_CONCURRENCY, async (c) => {
      const { app, type } = c.workload;
      if (!app || !type) return;
      // The state first: it tells the runtime the process's pid, whose cgroup the usage is then read from.
      const state = await this.states.get(c.id, () => this.runtime.processState(c.id).catch(() => null));
      const usage = state ? await this.runtime.usage(c.id).catch(() => null) : null; // gone between list and reading
      if (!usage) return;
      const u = ((out[app] ??= {})[type] ??= { cpu: 0, memoryBytes: 0, processes: 0, restarts: 0 });
      u.cpu += usage.cpuCores;
      u.memoryBytes += usage.memoryBytes;
      u.processes += 1;
      u.restarts += state?.restarts ?? 0;
    });
    this.metrics.cpu.reset();
    this.metrics.memory.reset();
    this.metrics.restarts.reset();
    this.metrics.processes.reset();
    for (const [app, types] of Object.entries(out)) {
      for (const [type, u] of Object.entries(types)) {
        const labels = { app, process: type };
        this.metrics.cpu.set(labels, u.cpu);
        this.metrics.memory.set(labels, u.memoryBytes);
        this.metrics.restarts.set(labels, u.restarts);
        this.metrics.processes.set(labels, u.processes);
      }
    }
    return out;
  }

  /** Observes the durations of builds that finished since the last scan; sets the build queue gauges. */
  private async scanBuilds(): Promise<void> {
    const builds = (await this.store.list<BuildLike>(`${this.store.keys.prefix}builds/`)).map((e) => e.value);
    let pending = 0;
    let building = 0;
    for (const b of builds) {
      if (b.status === 'pending') pending++;
      else if (b.status === 'building') building++;
      else if (b.finishedAt && !this.seenBuilds.has(`${b.app}/${b.id}`)) {
        this.seenBuilds.add(`${b.app}/${b.id}`);
        if (!this.firstBuildScan)
          this.metrics.buildDuration.observe({ outcome: b.status }, Math.max(0, (Date.parse(b.finishedAt) - Date.parse(b.createdAt)) / 1000));
      }
    }
    this.firstBuildScan = false;
    this.metrics.buildQueue.set({ status: 'pending' }, pending);
    this.metrics.buildQueue.set({ status: 'building' }, building);
  }

  /** Drops everything kept of `app` (it was destroyed): a later app of the same name, maybe another team's, must not see its points. */
  forget(app: string): void {
    this.points.delete(app);
    const now = Date.now();
    this.forgotten.set(app, now);
    this.journal.forget(app, now);
  }

  /** The readings of `app` kept since `since` (ms), oldest first: the autoscaler's window (src/autoscale/). */
  pointsOf(app: string, since: number): Point[] {
    return (this.points.get(app) ?? []).filter((p) => p.t >= since);
  }

  /** The last hour of an app, with a fresh reading of the router counters as the newest point. */
  async summary(app: string): Promise<AppSummary> {
    const now = Date.now();
    const points = [...(this.points.get(app) ?? [])];
    const fresh = await this.scrapeRouter().catch(() => null);
    const last = points.at(-1);
    if (fresh?.[app]) points.push({ t: now, router: fresh[app], ...(last?.types ? { types: last.types } : {}) });
    return summarize(app, points, now, WINDOW_MS);
  }

  /**
   * The last hour of an app per sampling interval (the console's charts). Reads the same bounded history as
   * summary(): at most WINDOW_MS / intervalMs + 2 points per app (242 at the default 15 s), nothing more is kept.
   */
  async timeline(app: string): Promise<{ app: string; intervalSeconds: number; points: TimelineEntry[] }> {
    const now = Date.now();
    const points = [...(this.points.get(app) ?? [])];
    const last = points.at(-1);
    // The interval since the last sample, from a fresh router reading, so requests show within seconds (not under 1 s: too short for a rate).
    if (!last || now - last.t >= 1000) {
      const fresh = await this.scrapeRouter().catch(() => null);
      if (fresh?.[app]) points.push({ t: now, router: fresh[app], ...(last?.types ? { types: last.types } : {}) });
    }
    return { app, intervalSeconds: this.opts.intervalMs / 1000, points: timeline(points, now, WINDOW_MS) };
  }
}

function idle(): RouterCounters {
  return { byClass: [0, 0, 0, 0, 0], le: [], buckets: [], count: 0, sum: 0 };
}

function revive(r: RouterCounters): RouterCounters {
  return { ...r, le: r.le.map((v) => ((v as unknown) === '+Inf' || v === null ? Infinity : v)) };
}
