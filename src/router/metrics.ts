// Router request metrics per app, kept as plain numbers on the hot path and rendered in the Prometheus text
// format on scrape. Snapshots are plain JSON so cluster workers' numbers can be summed by the primary.

export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;
const CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

export interface AppStatsSnapshot {
  /** Responses by status class 1xx..5xx. */
  byClass: number[];
  /** Non-cumulative counts per latency bucket; the last entry is +Inf. */
  buckets: number[];
  sum: number;
  count: number;
  upstreamErrors: Record<string, number>;
  active: number;
}

export interface MetricsSnapshot {
  apps: Record<string, AppStatsSnapshot>;
  openConnections: number;
}

class AppStats {
  readonly byClass = [0, 0, 0, 0, 0];
  readonly buckets = new Array<number>(LATENCY_BUCKETS.length + 1).fill(0);
  sum = 0;
  count = 0;
  active = 0;
  readonly upstreamErrors: Record<string, number> = {};
}

/** App label used for requests that matched no route. */
export const NO_APP = '-';

export class RouterMetrics {
  private readonly apps = new Map<string, AppStats>();
  openConnections = 0;

  private stats(app: string): AppStats {
    let s = this.apps.get(app);
    if (!s) this.apps.set(app, (s = new AppStats()));
    return s;
  }

  started(app: string): void {
    this.stats(app).active++;
  }

  /** A started request ends without being counted here (its error page is counted by `finished`). */
  settled(app: string): void {
    this.stats(app).active--;
  }

  /** A response finished (or the client went away): `seconds` since the request arrived. */
  finished(app: string, status: number, seconds: number, wasActive: boolean): void {
    const s = this.stats(app);
    if (wasActive) s.active--;
    const cls = Math.trunc(status / 100) - 1;
    if (cls >= 0 && cls < 5) s.byClass[cls]!++;
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]!) i++;
    s.buckets[i]!++;
    s.sum += seconds;
    s.count++;
  }

  upstreamError(app: string, kind: string): void {
    const e = this.stats(app).upstreamErrors;
    e[kind] = (e[kind] ?? 0) + 1;
  }

  snapshot(): MetricsSnapshot {
    const apps: Record<string, AppStatsSnapshot> = {};
    for (const [name, s] of this.apps) {
      apps[name] = { byClass: [...s.byClass], buckets: [...s.buckets], sum: s.sum, count: s.count, upstreamErrors: { ...s.upstreamErrors }, active: s.active };
    }
    return { apps, openConnections: this.openConnections };
  }
}

/** Sums snapshots (one per worker). */
export function mergeSnapshots(parts: MetricsSnapshot[]): MetricsSnapshot {
  const out: MetricsSnapshot = { apps: {}, openConnections: 0 };
  for (const p of parts) {
    out.openConnections += p.openConnections;
    for (const [name, s] of Object.entries(p.apps)) {
      const t = (out.apps[name] ??= {
        byClass: [0, 0, 0, 0, 0],
        buckets: new Array<number>(LATENCY_BUCKETS.length + 1).fill(0),
        sum: 0,
        count: 0,
        upstreamErrors: {},
        active: 0,
      });
      s.byClass.forEach((v, i) => (t.byClass[i]! += v));
      s.buckets.forEach((v, i) => (t.buckets[i]! += v));
      t.sum += s.sum;
      t.count += s.count;
      t.active += s.active;
      for (const [k, v] of Object.entries(s.upstreamErrors)) t.upstreamErrors[k] = (t.upstreamErrors[k] ?? 0) + v;
    }
  }
  return out;
}

const label = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** Prometheus text exposition of a (merged) snapshot plus router-level gauges. */
export function renderMetrics(m: MetricsSnapshot, extra: { revision: number; routes: number; workers: number }): string {
  const out: string[] = [];
  const apps = Object.entries(m.apps).sort(([a], [b]) => (a < b ? -1 : 1));
  out.push('# HELP yb_router_requests_total Responses sent, by app and status class.', '# TYPE yb_router_requests_total counter');
  for (const [app, s] of apps) CLASSES.forEach((c, i) => s.byClass[i] && out.push(`yb_router_requests_total{app="${label(app)}",code="${c}"} ${s.byClass[i]}`));
  out.push('# HELP yb_router_request_duration_seconds Time from request to end of response, by app.', '# TYPE yb_router_request_duration_seconds histogram');
  for (const [app, s] of apps) {
    let cum = 0;
    LATENCY_BUCKETS.forEach((le, i) => {
      cum += s.buckets[i]!;
      out.push(`yb_router_request_duration_seconds_bucket{app="${label(app)}",le="${le}"} ${cum}`);
    });
    out.push(`yb_router_request_duration_seconds_bucket{app="${label(app)}",le="+Inf"} ${s.count}`);
    out.push(
      `yb_router_request_duration_seconds_sum{app="${label(app)}"} ${s.sum}`,
      `yb_router_request_duration_seconds_count{app="${label(app)}"} ${s.count}`,
    );
  }
  out.push('# HELP yb_router_upstream_errors_total Failed upstream attempts, by app and kind.', '# TYPE yb_router_upstream_errors_total counter');
  for (const [app, s] of apps)
    for (const [k, v] of Object.entries(s.upstreamErrors)) out.push(`yb_router_upstream_errors_total{app="${label(app)}",kind="${label(k)}"} ${v}`);
  out.push('# HELP yb_router_active_requests Requests in flight, by app.', '# TYPE yb_router_active_requests gauge');
  for (const [app, s] of apps) out.push(`yb_router_active_requests{app="${label(app)}"} ${s.active}`);
  out.push(
    '# HELP yb_router_open_connections Client connections open.',
    '# TYPE yb_router_open_connections gauge',
    `yb_router_open_connections ${m.openConnections}`,
  );
  out.push(
    '# HELP yb_router_table_revision Store revision of the applied route table.',
    '# TYPE yb_router_table_revision gauge',
    `yb_router_table_revision ${extra.revision}`,
  );
  out.push('# HELP yb_router_routes Host names in the applied route table.', '# TYPE yb_router_routes gauge', `yb_router_routes ${extra.routes}`);
  out.push('# HELP yb_router_workers Proxy worker processes.', '# TYPE yb_router_workers gauge', `yb_router_workers ${extra.workers}`);
  return out.join('\n') + '\n';
}
