// The last hour of an app's numbers, sampled every few seconds: router counters and per-process-type container
// usage; and the summary `yb metrics` prints from them (increases over the window, quantiles from histogram
// buckets, counter resets handled as Prometheus does). Pure.
import type { RouterCounters } from './prom-text.js';

export interface TypeUsage {
  /** CPU in cores (1.0 = one core busy), summed over the type's processes. */
  cpu: number;
  memoryBytes: number;
  processes: number;
  restarts: number;
}

export interface Point {
  t: number;
  router?: RouterCounters;
  types?: Record<string, TypeUsage>;
}

export interface TypeSummary {
  processes: number;
  restarts: number;
  cpuAvg: number;
  cpuMax: number;
  memoryAvgBytes: number;
  memoryMaxBytes: number;
}

export interface AppSummary {
  app: string;
  from: string;
  to: string;
  requests: number;
  byClass: Record<string, number>;
  errorRate: number;
  p50Ms: number | null;
  p95Ms: number | null;
  meanMs: number | null;
  processTypes: Record<string, TypeSummary>;
  samples: number;
}

/** Increase of a counter over a series of readings, counting a drop as a reset to zero. */
export function increase(values: number[]): number {
  let total = 0;
  for (let i = 1; i < values.length; i++) {
    const d = values[i]! - values[i - 1]!;
    total += d >= 0 ? d : values[i]!;
  }
  return total;
}

/** Quantile from cumulative bucket counts (upper bounds `le`, last +Inf), interpolating inside a bucket. */
export function quantile(q: number, le: number[], cumulative: number[]): number | null {
  const total = cumulative.at(-1) ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  for (let i = 0; i < le.length; i++) {
    if (cumulative[i]! >= rank) {
      const upper = le[i]!;
      const lower = i === 0 ? 0 : le[i - 1]!;
      if (!Number.isFinite(upper)) return lower;
      const below = i === 0 ? 0 : cumulative[i - 1]!;
      const inBucket = cumulative[i]! - below;
      return inBucket > 0 ? lower + ((upper - lower) * (rank - below)) / inBucket : upper;
    }
  }
  return le.at(-2) ?? null;
}

const CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'];

/** Summary of the points within `windowMs` before `now` (the oldest of them is the baseline). */
export function summarize(app: string, points: Point[], now: number, windowMs: number): AppSummary {
  const inWindow = points.filter((p) => p.t >= now - windowMs && p.t <= now).sort((a, b) => a.t - b.t);
  const routed = inWindow.filter((p) => p.router);
  const series = (f: (r: RouterCounters) => number) => increase(routed.map((p) => f(p.router!)));
  const byClass = Object.fromEntries(CLASSES.map((c, i) => [c, series((r) => r.byClass[i] ?? 0)]));
  const requests = series((r) => r.count);
  const le = [...routed].reverse().find((p) => p.router!.le.length > 0)?.router?.le ?? []; // an idle reading has no buckets
  const buckets = le.map((bound) => series((r) => r.buckets[r.le.indexOf(bound)] ?? 0));
  const sum = series((r) => r.sum);
  const ms = (s: number | null) => (s === null ? null : Math.round(s * 10000) / 10);
  const types: Record<string, TypeSummary> = {};
  const names = new Set(inWindow.flatMap((p) => Object.keys(p.types ?? {})));
  for (const name of names) {
    const us = inWindow.map((p) => p.types?.[name]).filter((u): u is TypeUsage => u !== undefined);
    const last = us.at(-1)!;
    types[name] = {
      processes: last.processes,
      restarts: last.restarts,
      cpuAvg: round(us.reduce((a, u) => a + u.cpu, 0) / us.length, 3),
      cpuMax: round(Math.max(...us.map((u) => u.cpu)), 3),
      memoryAvgBytes: Math.round(us.reduce((a, u) => a + u.memoryBytes, 0) / us.length),
      memoryMaxBytes: Math.max(...us.map((u) => u.memoryBytes)),
    };
  }
  const errors = byClass['5xx'] ?? 0;
  return {
    app,
    from: new Date(inWindow[0]?.t ?? now).toISOString(),
    to: new Date(now).toISOString(),
    requests,
    byClass,
    errorRate: requests > 0 ? round(errors / requests, 4) : 0,
    p50Ms: ms(quantile(0.5, le, buckets)),
    p95Ms: ms(quantile(0.95, le, buckets)),
    meanMs: requests > 0 ? ms(sum / requests) : null,
    processTypes: types,
    samples: inWindow.length,
  };
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
