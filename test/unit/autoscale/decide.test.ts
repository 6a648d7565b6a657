// The autoscaler's decision (src/autoscale/decide.ts) and its window (window.ts) with a fake clock and fake router
// readings: sustained load scales up quickly, one burst does not, load gone scales down one process at a time after the
// cooldown, never outside min/max, cooldowns and "at max" are recorded once, not at every evaluation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, type Tuning } from '../../../src/autoscale/decide.js';
import { measure } from '../../../src/autoscale/window.js';
import type { AutoscalePolicy, AutoscaleState } from '../../../src/autoscale/policy.js';
import type { Point } from '../../../src/metrics/series.js';

const LE = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, Infinity];
const T0 = Date.parse('2026-12-05T10:00:00Z');
const S = 1000;
const TUNING: Tuning = { windowMs: 60 * S, sustainMs: 30 * S, upCooldownMs: 60 * S, downCooldownMs: 300 * S };

/** Router readings every `stepS` seconds from `start`: each slice has `rps` requests/s all taking `ms` milliseconds. */
class Readings {
  readonly points: Point[] = [];
  private count = 0;
  private buckets = LE.map(() => 0);
  private t: number;
  constructor(start = T0) {
    this.t = start;
    this.points.push(this.point());
  }
  private point(): Point {
    return { t: this.t, router: { byClass: [0, this.count, 0, 0, 0], le: LE, buckets: [...this.buckets], count: this.count, sum: 0 } };
  }
  /** `seconds` of load at `rps` requests/s taking `ms` each, read every `stepS` seconds. */
  load(seconds: number, rps: number, ms: number, stepS = 5): this {
    for (let s = 0; s < seconds; s += stepS) {
      const n = Math.round(rps * stepS);
      this.count += n;
      LE.forEach((le, i) => le * 1000 >= ms && (this.buckets[i]! += n));
      this.t += stepS * S;
      this.points.push(this.point());
    }
    return this;
  }
  get now(): number {
    return this.t;
  }
}

const p95 = (over: Partial<AutoscalePolicy> = {}): AutoscalePolicy => ({
  type: 'web',
  min: 1,
  max: 6,
  p95Ms: 300,
  setAt: '2026-12-05T09:00:00Z',
  setBy: 'olga',
  ...over,
});
const rps = (over: Partial<AutoscalePolicy> = {}): AutoscalePolicy => ({
  type: 'web',
  min: 1,
  max: 6,
  rps: 10,
  setAt: '2026-12-05T09:00:00Z',
  setBy: 'olga',
  ...over,
});

test('the window: requests, rate and p95 from cumulative buckets, a restarted router counted from zero', () => {
  const r = new Readings().load(30, 10, 400);
  const w = measure(r.points, T0, r.now);
  assert.equal(w.requests, 300);
  assert.equal(w.rps, 10);
  assert.equal(w.slices.length, 6);
  assert.ok(w.p95Ms! > 250 && w.p95Ms! <= 500, `p95 in the 250–500 ms bucket: ${w.p95Ms}`);
  // A router restart: counters drop to a small number, which counts as an increase from zero.
  const reset: Point = { t: r.now + 5 * S, router: { byClass: [0, 7, 0, 0, 0], le: LE, buckets: LE.map(() => 7), count: 7, sum: 0 } };
  assert.equal(measure([...r.points, reset], T0, reset.t).requests, 307);
  // A router that restarted and has not served the app since: the sampler's idle reading (no buckets) is a reset too.
  const idle: Point = { t: r.now + 5 * S, router: { byClass: [0, 0, 0, 0, 0], le: [], buckets: [], count: 0, sum: 0 } };
  const withIdle = measure([...r.points, idle], T0, idle.t);
  assert.deepEqual([withIdle.requests, withIdle.slices.length, withIdle.slices.at(-1)!.requests], [300, 7, 0]);
  assert.equal(withIdle.p95Ms, w.p95Ms, 'the buckets of the earlier readings still give the p95');
  assert.deepEqual(measure(r.points.slice(0, 1), T0, r.now).slices, [], 'one reading is no window');
  assert.equal(measure([{ t: T0 }, { t: T0 + S }], T0, T0 + S).slices.length, 0, 'points without router readings are skipped');
});

test('sustained latency over the target scales up quickly, at most doubling, recorded with the metric', () => {
  const r = new Readings().load(60, 10, 800);
  const o = decide(p95(), {}, { quantity: 2, points: r.points, now: r.now }, TUNING);
  assert.equal(o.decision.kind, 'up');
  assert.equal(o.decision.reason, 'over-target');
  assert.equal(o.decision.from, 2);
  assert.equal(o.decision.to, 4, 'p95 well over twice the target: doubled, not more');
  assert.equal(o.record, true);
  assert.equal(o.decision.metric.name, 'p95Ms');
  assert.ok(o.decision.metric.value! > 500);
  assert.match(
    o.decision.message,
    /^Autoscaled web from 2 to 4: p95 \d+(\.\d)? ms over the last 60 s is above the target of 300 ms \(12 of 12 intervals over\)$/,
  );
  // Never above max.
  assert.equal(decide(p95({ max: 3 }), {}, { quantity: 2, points: r.points, now: r.now }, TUNING).decision.to, 3);
});

test('one burst does not scale up: most of the window must be over the target', () => {
  const r = new Readings().load(50, 10, 40).load(10, 200, 2000); // ten seconds of a burst, far over the target
  const o = decide(p95(), {}, { quantity: 1, points: r.points, now: r.now }, TUNING);
  const w = o.decision.metric;
  assert.ok(w.value! > 300, `the window's p95 is over the target (${w.value})`);
  assert.equal(o.decision.kind, 'hold');
  assert.equal(o.decision.reason, 'within-target');
  assert.equal(w.hotSlices, 2);
  assert.equal(o.record, false);
});

test('too little measured (after a change, or no readings) decides nothing', () => {
  const r = new Readings().load(60, 10, 800);
  const state: AutoscaleState = { lastScaledAt: new Date(r.now - 20 * S).toISOString() };
  const o = decide(p95(), state, { quantity: 2, points: r.points, now: r.now }, { ...TUNING, upCooldownMs: 0 });
  assert.equal(o.decision.reason, 'not-enough-data', 'the window starts at the last change: 20 s is below the 30 s needed');
  assert.equal(decide(p95(), {}, { quantity: 2, points: [], now: r.now }, TUNING).decision.reason, 'not-enough-data');
  // Too few requests say nothing about latency.
  const few = new Readings().load(60, 0.2, 2000);
  assert.equal(decide(p95(), {}, { quantity: 2, points: few.points, now: few.now }, TUNING).decision.kind, 'hold');
});

test('a cooldown holds an up decision back and is recorded once while it lasts; so is being at max', () => {
  const r = new Readings().load(60, 10, 800);
  const lastScaledAt = new Date(r.now - 40 * S).toISOString();
  let state: AutoscaleState = { lastScaledAt };
  const o1 = decide(p95(), state, { quantity: 2, points: r.points, now: r.now }, { ...TUNING, sustainMs: 20 * S });
  assert.equal(o1.decision.kind, 'hold');
  assert.equal(o1.decision.reason, 'cooldown');
  assert.equal(o1.decision.wanted, 4);
  assert.match(o1.decision.message, /^Would autoscale web from 2 to 4 but it is cooling down until 10:01:20 UTC: p95/);
  assert.equal(o1.record, true);
  state = o1.state;
  const r2 = r.load(5, 10, 800);
  const o2 = decide(p95(), state, { quantity: 2, points: r2.points, now: r2.now }, { ...TUNING, sustainMs: 20 * S });
  assert.equal(o2.decision.reason, 'cooldown');
  assert.equal(o2.record, false, 'the same "would, but" is not recorded again');
  assert.equal(o2.state.lastRecorded?.at, o1.decision.at);

  const atMax = decide(p95({ max: 2 }), {}, { quantity: 2, points: r.points, now: r.now }, TUNING);
  assert.equal(atMax.decision.reason, 'at-max');
  assert.equal(atMax.decision.to, 2);
  assert.match(atMax.decision.message, /^Would autoscale web above 2 but that is its maximum: /);
  assert.equal(atMax.record, true);
  assert.equal(decide(p95({ max: 2 }), atMax.state, { quantity: 2, points: r.points, now: r.now + S }, TUNING).record, false);
});

test('load gone: calm for the down cooldown, then one process at a time, never below min', () => {
  const r = new Readings().load(60, 0, 0);
  let state: AutoscaleState = { lastScaledAt: new Date(r.now - 600 * S).toISOString() };
  const first = decide(p95({ min: 2 }), state, { quantity: 4, points: r.points, now: r.now }, TUNING);
  assert.equal(first.decision.kind, 'hold');
  assert.equal(first.decision.reason, 'cooldown', 'calm only from now');
  assert.equal(first.decision.wanted, 3);
  assert.equal(first.record, true);
  state = first.state;
  assert.equal(state.calmSince, new Date(r.now).toISOString());
  // Still calm 5 minutes later: one process less.
  const later = new Readings(r.now).load(300, 0, 0);
  const down = decide(p95({ min: 2 }), state, { quantity: 4, points: later.points, now: later.now }, TUNING);
  assert.equal(down.decision.kind, 'down');
  assert.equal(down.decision.to, 3);
  assert.match(down.decision.message, /^Autoscaled web from 4 to 3: no requests over the last 60 s is below half the target of 300 ms since 10:01:00 UTC$/);
  // At min it stays, silently.
  const atMin = decide(p95({ min: 2 }), { calmSince: state.calmSince }, { quantity: 2, points: later.points, now: later.now }, TUNING);
  assert.equal(atMin.decision.kind, 'hold');
  assert.equal(atMin.record, false);
});

test('the band between half the target and the target holds: no flapping', () => {
  const r = new Readings().load(60, 10, 200); // p95 between 150 and 300 ms
  const o = decide(p95(), { calmSince: new Date(T0 - 3600 * S).toISOString() }, { quantity: 3, points: r.points, now: r.now }, TUNING);
  assert.equal(o.decision.kind, 'hold');
  assert.equal(o.decision.reason, 'within-target');
  assert.equal(o.state.calmSince, undefined, 'calm must start again');
});

test('out of range: below min or above max is corrected at once, without metrics', () => {
  const up = decide(p95({ min: 2 }), {}, { quantity: 1, points: [], now: T0 }, TUNING);
  assert.deepEqual([up.decision.kind, up.decision.reason, up.decision.to, up.record], ['up', 'below-min', 2, true]);
  const down = decide(p95({ max: 3 }), {}, { quantity: 5, points: [], now: T0 }, TUNING);
  assert.deepEqual([down.decision.kind, down.decision.reason, down.decision.to], ['down', 'above-max', 3]);
});

test('requests per second per process: up to what the rate needs, down while fewer processes would carry it', () => {
  const r = new Readings().load(60, 45, 20);
  const up = decide(rps(), {}, { quantity: 2, points: r.points, now: r.now }, TUNING);
  assert.equal(up.decision.kind, 'up');
  assert.equal(up.decision.to, 5, '45 requests/s at 10 per process');
  assert.equal(up.decision.metric.value, 22.5);
  assert.match(up.decision.message, /22\.5 requests\/s per process over the last 60 s is above the target of 10 requests\/s per process/);
  const quiet = new Readings().load(60, 12, 20);
  const calm = decide(rps(), {}, { quantity: 3, points: quiet.points, now: quiet.now }, TUNING);
  assert.equal(calm.decision.reason, 'cooldown', '12 requests/s: two processes would serve 6 each');
  assert.equal(calm.decision.wanted, 2);
  const busy = decide(rps(), {}, { quantity: 2, points: quiet.points, now: quiet.now }, TUNING);
  assert.equal(busy.decision.reason, 'within-target', 'one process would get 12: no');
});
