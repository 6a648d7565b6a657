// The autoscaler's decision for one process type (docs/architecture.md §5.5): from the policy, the current quantity and
// the router's readings of the window, whether to add processes, remove one, or hold, and why. Pure (the clock is an
// argument). Up is quick but needs a sustained breach (most slices of the window over the target, not one burst);
// down is slow (one process at a time, only after the type has been calm for the down cooldown); never outside min/max.
import type { Point } from '../metrics/series.js';
import type { AutoscalePolicy, AutoscaleState } from './policy.js';
import { measure } from './window.js';

export interface Tuning {
  /** Length of the sliding window the metric is measured over. */
  windowMs: number;
  /** How much of the window must be measured (since the last change) before any decision. */
  sustainMs: number;
  /** Time after a change before the autoscaler may add processes again. */
  upCooldownMs: number;
  /** Time after a change, and time calm, before it may remove one. */
  downCooldownMs: number;
}

/** Share of the window's slices that must be over the target to scale up: one burst is one slice. */
export const HOT_SHARE = 0.75;
/** The whole window must be this far over the target (10 %) to scale up. */
export const TOLERANCE = 0.1;
/** Latency below this share of the target counts as calm (the band between is the hysteresis). */
export const CALM_RATIO = 0.5;
/** Fewer requests than this in the window say nothing about latency. */
export const MIN_REQUESTS = 20;
/** At most this factor up in one step on a latency target. */
export const MAX_UP_FACTOR = 2;

export interface Metric {
  name: 'p95Ms' | 'rps';
  /** p95 in ms over the window, or requests/s per process; null without requests (p95). */
  value: number | null;
  target: number;
  requests: number;
  windowS: number;
  hotSlices: number;
  slices: number;
}

export type Reason = 'below-min' | 'above-max' | 'over-target' | 'under-target' | 'within-target' | 'not-enough-data' | 'cooldown' | 'at-max';

export interface Decision {
  at: string;
  type: string;
  kind: 'up' | 'down' | 'hold';
  reason: Reason;
  from: number;
  to: number;
  /** What the metric asked for when a cooldown or the maximum held it back. */
  wanted?: number;
  metric: Metric;
  message: string;
}

export interface Outcome {
  decision: Decision;
  /** Whether the decision goes into `yb events` and the log: every change, and each new "would, but" once. */
  record: boolean;
  state: AutoscaleState;
}

const time = (ms: number) => `${new Date(ms).toISOString().slice(11, 19)} UTC`;

export function describeMetric(m: Metric): string {
  if (m.name === 'p95Ms') return m.value === null ? 'no requests' : `p95 ${m.value} ms`;
  return `${(m.value ?? 0).toFixed(1)} requests/s per process`;
}

/** Decides for `policy` given `quantity` processes now and the sampler's router readings of the app. */
export function decide(policy: AutoscalePolicy, state: AutoscaleState, input: { quantity: number; points: Point[]; now: number }, tuning: Tuning): Outcome {
  const { quantity: q, now } = input;
  const lastScaled = state.lastScaledAt ? Date.parse(state.lastScaledAt) : -Infinity;
  // Readings from before the last change describe the old quantity: the window starts after it.
  const w = measure(input.points, Math.max(now - tuning.windowMs, lastScaled), now);
  const latency = policy.p95Ms !== undefined;
  const target = latency ? policy.p95Ms! : policy.rps!;
  const per = Math.max(1, q); // requests per process (q is 0 only below a minimum, decided first)
  const hot = w.slices.filter((s) => (latency ? s.p95Ms !== null && s.p95Ms > target : s.rps / per > target)).length;
  const metric: Metric = {
    name: latency ? 'p95Ms' : 'rps',
    value: latency ? w.p95Ms : Math.round((w.rps / per) * 100) / 100,
    target,
    requests: w.requests,
    windowS: Math.round((w.to - w.from) / 1000),
    hotSlices: hot,
    slices: w.slices.length,
  };
  const says = describeMetric(metric);
  const goal = latency ? `${target} ms` : `${target} requests/s per process`;
  const t = policy.type;
  const at = new Date(now).toISOString();
  const base = { at, type: t, from: q, metric };
  const streak = (d: Decision) =>
    d.kind === 'hold' && (d.reason === 'cooldown' || d.reason === 'at-max') ? `${d.reason}:${Math.sign((d.wanted ?? d.from) - d.from)}` : '';
  const done = (decision: Decision, next: Partial<AutoscaleState>): Outcome => {
    // A "would, but" is recorded when it begins, not again at every evaluation while it lasts.
    const key = streak(decision);
    const record = decision.kind !== 'hold' || (key !== '' && key !== (state.last ? streak(state.last) : ''));
    const out: AutoscaleState = { ...state, ...next, last: decision };
    if (record) out.lastRecorded = decision;
    return { decision, record, state: out };
  };

  if (q < policy.min)
    return done(
      { ...base, kind: 'up', reason: 'below-min', to: policy.min, message: `Autoscaled ${t} from ${q} to ${policy.min}: its minimum is ${policy.min}` },
      { calmSince: undefined },
    );
  if (q > policy.max)
    return done(
      { ...base, kind: 'down', reason: 'above-max', to: policy.max, message: `Autoscaled ${t} from ${q} to ${policy.max}: its maximum is ${policy.max}` },
      { calmSince: undefined },
    );
  if (w.slices.length === 0 || w.to - w.from < tuning.sustainMs)
    return done(
      {
        ...base,
        kind: 'hold',
        reason: 'not-enough-data',
        to: q,
        message: `Holding ${t} at ${q}: ${metric.windowS} s measured, ${tuning.sustainMs / 1000} s needed`,
      },
      {},
    );

  const over = latency ? w.requests >= MIN_REQUESTS && w.p95Ms !== null && w.p95Ms > target * (1 + TOLERANCE) : w.rps / per > target * (1 + TOLERANCE);
  if (over && hot >= HOT_SHARE * w.slices.length) {
    const asked = latency ? Math.ceil(q * Math.min(MAX_UP_FACTOR, w.p95Ms! / target)) : Math.ceil(w.rps / target);
    const wanted = Math.max(q + 1, asked);
    const evidence = `${says} over the last ${metric.windowS} s is above the target of ${goal} (${hot} of ${w.slices.length} intervals over)`;
    if (q >= policy.max)
      return done(
        { ...base, kind: 'hold', reason: 'at-max', to: q, wanted, message: `Would autoscale ${t} above ${q} but that is its maximum: ${evidence}` },
        { calmSince: undefined },
      );
    const to = Math.min(policy.max, wanted);
    if (now - lastScaled < tuning.upCooldownMs)
      return done(
        {
          ...base,
          kind: 'hold',
          reason: 'cooldown',
          to: q,
          wanted: to,
          message: `Would autoscale ${t} from ${q} to ${to} but it is cooling down until ${time(lastScaled + tuning.upCooldownMs)}: ${evidence}`,
        },
        { calmSince: undefined },
      );
    return done({ ...base, kind: 'up', reason: 'over-target', to, message: `Autoscaled ${t} from ${q} to ${to}: ${evidence}` }, { calmSince: undefined });
  }

  const calm = hot === 0 && (latency ? w.p95Ms === null || w.p95Ms < target * CALM_RATIO : q > 1 && w.rps / (q - 1) < target * (1 - TOLERANCE));
  if (!calm || q <= policy.min)
    return done(
      { ...base, kind: 'hold', reason: 'within-target', to: q, message: `Holding ${t} at ${q}: ${says} against a target of ${goal}` },
      {
        calmSince: calm ? (state.calmSince ?? at) : undefined,
      },
    );
  const calmSince = state.calmSince ? Date.parse(state.calmSince) : now;
  const evidence = latency
    ? `${says} over the last ${metric.windowS} s is below half the target of ${goal}`
    : `${(w.rps).toFixed(1)} requests/s over the last ${metric.windowS} s, ${(w.rps / (q - 1)).toFixed(1)} per process with ${q - 1}, is within the target of ${goal}`;
  const until = Math.max(calmSince, lastScaled) + tuning.downCooldownMs;
  if (now < until)
    return done(
      {
        ...base,
        kind: 'hold',
        reason: 'cooldown',
        to: q,
        wanted: q - 1,
        message: `Would autoscale ${t} from ${q} to ${q - 1} but it is cooling down until ${time(until)}: ${evidence}`,
      },
      { calmSince: new Date(calmSince).toISOString() },
    );
  return done(
    { ...base, kind: 'down', reason: 'under-target', to: q - 1, message: `Autoscaled ${t} from ${q} to ${q - 1}: ${evidence} since ${time(calmSince)}` },
    { calmSince: undefined },
  );
}
