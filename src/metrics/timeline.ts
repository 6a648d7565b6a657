// The last hour of an app as a chart reads it: one entry per interval between two samples (requests/s, responses
// by status class, p50/p95/p99 latency from the interval's bucket increases; CPU and memory per process type at
// the interval's end). Pure; the samples come from the sampler's bounded history (docs/architecture.md §8).
import { increase, quantile, type Point } from './series.js';

export interface TimelineEntry {
  /** End of the interval (ISO time). */
  t: string;
  seconds: number;
  /** Requests per second over the interval; null when the router had no reading at one of its ends. */
  rps: number | null;
  byClass: Record<string, number> | null;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  types: Record<string, { cpu: number; memoryBytes: number; processes: number }>;
}

const CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'];
const ms = (s: number | null) => (s === null ? null : Math.round(s * 10000) / 10);

/** One entry per consecutive pair of points within `windowMs` before `now`; at most `maxEntries`, the newest kept. */
export function timeline(points: Point[], now: number, windowMs: number, maxEntries = 400): TimelineEntry[] {
  const inWindow = points.filter((p) => p.t >= now - windowMs && p.t <= now).sort((a, b) => a.t - b.t);
  const out: TimelineEntry[] = [];
  for (let i = 1; i < inWindow.length; i++) {
    const a = inWindow[i - 1]!;
    const b = inWindow[i]!;
    const seconds = (b.t - a.t) / 1000;
    if (seconds <= 0) continue;
    const entry: TimelineEntry = { t: new Date(b.t).toISOString(), seconds, rps: null, byClass: null, p50Ms: null, p95Ms: null, p99Ms: null, types: {} };
    if (a.router && b.router) {
      const ra = a.router;
      const rb = b.router;
      const inc = (f: (r: typeof ra) => number) => increase([f(ra), f(rb)]);
      entry.rps = Math.round((inc((r) => r.count) / seconds) * 1000) / 1000;
      entry.byClass = Object.fromEntries(CLASSES.map((c, k) => [c, inc((r) => r.byClass[k] ?? 0)]));
      const buckets = rb.le.map((bound) => inc((r) => r.buckets[r.le.indexOf(bound)] ?? 0));
      entry.p50Ms = ms(quantile(0.5, rb.le, buckets));
      entry.p95Ms = ms(quantile(0.95, rb.le, buckets));
      entry.p99Ms = ms(quantile(0.99, rb.le, buckets));
    }
    for (const [type, u] of Object.entries(b.types ?? {}))
      entry.types[type] = { cpu: Math.round(u.cpu * 1000) / 1000, memoryBytes: u.memoryBytes, processes: u.processes };
    out.push(entry);
  }
  return out.slice(-maxEntries);
}
