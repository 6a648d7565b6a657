// The app's last hour as charts: requests/s, responses by status class, latency percentiles, CPU and memory per
// process type, from GET /apps/{app}/metrics/timeline (one entry per sampling interval), refreshed while open.
import { useEffect } from 'react';
import { call } from '../../api/client';
import type { MetricsTimeline } from '../../api/types';
import { Empty, ErrorNote, Progress } from '../../components/common';
import { LineChart } from '../../components/LineChart';
import { useApi } from '../../lib/use-api';

const num = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const mib = (v: number) => `${(v / 1048576).toFixed(v >= 100 * 1048576 ? 0 : 1)} MiB`;

export function MetricsTab({ app }: { app: string }) {
  const timeline = useApi(() => call<MetricsTimeline>('/apps/{app}/metrics/timeline', { params: { app } }), [app]);
  useEffect(() => {
    const t = setInterval(timeline.reload, 10_000);
    return () => clearInterval(t);
  }, [timeline.reload]);

  const points = timeline.data?.points ?? [];
  const times = points.map((p) => p.t ?? '');
  const types = [...new Set(points.flatMap((p) => Object.keys(p.types ?? {})))].sort();
  const requests = points.reduce((n, p) => n + Object.values(p.byClass ?? {}).reduce((a, b) => a + b, 0), 0);
  const classes = ['2xx', '3xx', '4xx', '5xx'];
  return (
    <section aria-labelledby="metrics-h">
      <h2 id="metrics-h">
        Metrics <span className="muted">last hour</span>
      </h2>
      <ErrorNote error={timeline.error} />
      {timeline.loading && !timeline.data ? <Progress label="Loading the last hour of metrics…" /> : null}
      {timeline.data ? (
        <p className="muted" data-testid="metrics-total">
          {requests} requests in the last hour · a sample every {timeline.data.intervalSeconds} s · refreshed every 10 s{' '}
          <button type="button" onClick={timeline.reload}>
            Refresh now
          </button>
        </p>
      ) : null}
      {timeline.data && points.length === 0 ? (
        <Empty>
          No samples yet: the platform samples the router and the app's processes every {timeline.data.intervalSeconds} s, so the charts fill in once the app
          runs.
        </Empty>
      ) : null}
      {points.length ? (
        <div className="charts">
          <LineChart
            title="Requests per second"
            testId="chart-rps"
            times={times}
            format={num}
            series={[{ name: 'requests/s', values: points.map((p) => p.rps ?? null) }]}
          />
          <LineChart
            title="Responses by status"
            testId="chart-status"
            times={times}
            format={(v) => v.toFixed(0)}
            series={classes.map((c) => ({ name: c, values: points.map((p) => (p.byClass ? (p.byClass[c] ?? 0) : null)) }))}
          />
          <LineChart
            title="Latency"
            testId="chart-latency"
            times={times}
            format={(v) => `${num(v)} ms`}
            series={(['p50Ms', 'p95Ms', 'p99Ms'] as const).map((k) => ({ name: k.slice(0, 3), values: points.map((p) => p[k] ?? null) }))}
          />
          <LineChart
            title="CPU per process type"
            testId="chart-cpu"
            times={times}
            format={(v) => `${num(v)} cores`}
            series={types.map((t) => ({ name: t, values: points.map((p) => p.types?.[t]?.cpu ?? null) }))}
          />
          <LineChart
            title="Memory per process type"
            testId="chart-memory"
            times={times}
            format={mib}
            series={types.map((t) => ({ name: t, values: points.map((p) => p.types?.[t]?.memoryBytes ?? null) }))}
          />
        </div>
      ) : null}
    </section>
  );
}
