// What the router measured of an app over a sliding window (docs/architecture.md §5.5): the sampler's readings of the
// router's counters cut into slices (one per pair of consecutive readings) and the window as a whole: requests, requests
// per second and the p95 latency from the histogram buckets. Pure; counter resets (a restarted router) count as Prometheus does.
import type { Point } from '../metrics/series.js';
import { quantile } from '../metrics/series.js';
import type { RouterCounters } from '../metrics/prom-text.js';

/** Load of one stretch of time. */
export interface Load {
  from: number;
  to: number;
  requests: number;
  /** Requests per second over the stretch. */
  rps: number;
  /** p95 latency in milliseconds, null without requests. */
  p95Ms: number | null;
}

export interface WindowLoad extends Load {
  slices: Load[];
}

/** Increase of a counter between two readings; a drop means the counter restarted from zero. */
const delta = (a: number, b: number) => (b >= a ? b - a : b);

function loadBetween(a: { t: number; r: RouterCounters }, b: { t: number; r: RouterCounters }): Load & { buckets: number[]; le: number[] } {
  const requests = delta(a.r.count, b.r.count);
  const le = b.r.le;
  const buckets = le.map((bound, i) => delta(a.r.buckets[a.r.le.indexOf(bound)] ?? 0, b.r.buckets[i] ?? 0));
  const seconds = Math.max(0.001, (b.t - a.t) / 1000);
  return { from: a.t, to: b.t, requests, rps: requests / seconds, p95Ms: toMs(quantile(0.95, le, buckets)), buckets, le };
}

const toMs = (s: number | null) => (s === null ? null : Math.round(s * 10000) / 10);

/**
 * The load in (`from`, `to`]: the readings at or after `from` and not after `to`, sliced between consecutive readings.
 * Fewer than two readings give an empty window (no requests, no slices).
 */
export function measure(points: Point[], from: number, to: number): WindowLoad {
  const readings = points
    .filter((p): p is Point & { router: RouterCounters } => p.router !== undefined && p.t >= from && p.t <= to)
    .sort((a, b) => a.t - b.t)
    .map((p) => ({ t: p.t, r: p.router }));
  const slices = readings.slice(1).map((b, i) => loadBetween(readings[i]!, b));
  if (slices.length === 0) return { from, to, requests: 0, rps: 0, p95Ms: null, slices: [] };
  const le = [...slices].reverse().find((s) => s.le.length > 0)?.le ?? []; // a reading of an app the router has not served has no buckets
  const buckets = le.map((bound) => slices.reduce((sum, s) => sum + (s.buckets[s.le.indexOf(bound)] ?? 0), 0));
  const requests = slices.reduce((sum, s) => sum + s.requests, 0);
  const first = slices[0]!.from;
  const last = slices.at(-1)!.to;
  return {
    from: first,
    to: last,
    requests,
    rps: requests / Math.max(0.001, (last - first) / 1000),
    p95Ms: toMs(quantile(0.95, le, buckets)),
    slices: slices.map(({ buckets: _b, le: _l, ...s }) => s),
  };
}
