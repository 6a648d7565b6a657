// Reads the router's Prometheus text exposition into per-app request counters. Pure.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parsePromText(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    const value = m[3] === '+Inf' ? Infinity : Number(m[3]);
    if (!Number.isNaN(value)) out.push({ name: m[1]!, labels, value });
  }
  return out;
}

/** Cumulative request counters of one app as the router reports them. */
export interface RouterCounters {
  /** Responses by status class 1xx..5xx. */
  byClass: number[];
  /** Upper bounds of the latency buckets in seconds (ascending, ending with Infinity) and their cumulative counts. */
  le: number[];
  buckets: number[];
  count: number;
  sum: number;
}

const CLASS_INDEX: Record<string, number> = { '1xx': 0, '2xx': 1, '3xx': 2, '4xx': 3, '5xx': 4 };

export function routerCounters(samples: Sample[]): Record<string, RouterCounters> {
  const apps: Record<string, RouterCounters> = {};
  const get = (app: string) => (apps[app] ??= { byClass: [0, 0, 0, 0, 0], le: [], buckets: [], count: 0, sum: 0 });
  const bucketPairs: Record<string, Array<[number, number]>> = {};
  for (const s of samples) {
    const app = s.labels.app;
    if (!app || app === '-') continue;
    if (s.name === 'yb_router_requests_total') {
      const i = CLASS_INDEX[s.labels.code ?? ''];
      if (i !== undefined) get(app).byClass[i] = s.value;
    } else if (s.name === 'yb_router_request_duration_seconds_bucket') {
      const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
      (bucketPairs[app] ??= []).push([le, s.value]);
    } else if (s.name === 'yb_router_request_duration_seconds_count') get(app).count = s.value;
    else if (s.name === 'yb_router_request_duration_seconds_sum') get(app).sum = s.value;
  }
  for (const [app, pairs] of Object.entries(bucketPairs)) {
    pairs.sort((a, b) => a[0] - b[0]);
    const c = get(app);
    c.le = pairs.map((p) => p[0]);
    c.buckets = pairs.map((p) => p[1]);
  }
  return apps;
}
