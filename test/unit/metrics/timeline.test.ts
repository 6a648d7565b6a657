import { test } from 'node:test';
import assert from 'node:assert/strict';
import { timeline } from '../../../src/metrics/timeline.js';
import type { Point } from '../../../src/metrics/series.js';
import type { RouterCounters } from '../../../src/metrics/prom-text.js';

const LE = [0.01, 0.1, 1, Infinity];
const r = (count: number, buckets: number[], byClass = [0, count, 0, 0, 0]): RouterCounters => ({ byClass, le: LE, buckets, count, sum: 0 });
const usage = (cpu: number, mem: number) => ({ web: { cpu, memoryBytes: mem, processes: 1, restarts: 0 } });

test('one entry per interval: requests per second, status classes and latency quantiles of that interval only', () => {
  const points: Point[] = [
    { t: 0, router: r(0, [0, 0, 0, 0]), types: usage(0.1, 100) },
    { t: 10_000, router: r(100, [0, 100, 100, 100]), types: usage(0.2, 200) },
    { t: 20_000, router: r(110, [10, 110, 110, 110], [0, 100, 0, 0, 10]), types: usage(0.3, 300) },
  ];
  const out = timeline(points, 20_000, 3_600_000);
  assert.equal(out.length, 2);
  assert.equal(out[0]!.t, new Date(10_000).toISOString());
  assert.equal(out[0]!.rps, 10);
  assert.deepEqual(out[0]!.byClass, { '1xx': 0, '2xx': 100, '3xx': 0, '4xx': 0, '5xx': 0 });
  assert.ok(out[0]!.p50Ms! > 10 && out[0]!.p50Ms! <= 100, 'the first interval was slow: 10..100 ms');
  assert.equal(out[1]!.rps, 1);
  assert.ok(out[1]!.p99Ms! <= 10, 'the second interval only saw fast requests, whatever came before');
  assert.equal(out[1]!.byClass!['5xx'], 10);
  assert.deepEqual(out[1]!.types, { web: { cpu: 0.3, memoryBytes: 300, processes: 1 } });
});

test('a counter reset (router restart) counts from zero, never a negative rate', () => {
  const out = timeline(
    [
      { t: 0, router: r(500, [500, 500, 500, 500]) },
      { t: 5000, router: r(20, [20, 20, 20, 20]) },
    ],
    5000,
    3_600_000,
  );
  assert.equal(out[0]!.rps, 4);
});

test('intervals without router readings have no request numbers; points outside the window are left out; bounded', () => {
  const out = timeline(
    [
      { t: -4_000_000, router: r(0, [0, 0, 0, 0]) },
      { t: 1000, types: usage(1, 1) },
      { t: 2000, router: r(1, [1, 1, 1, 1]), types: usage(1, 1) },
    ],
    2000,
    3_600_000,
  );
  assert.equal(out.length, 1);
  assert.equal(out[0]!.rps, null);
  assert.equal(out[0]!.p50Ms, null);
  const many: Point[] = Array.from({ length: 1000 }, (_, i) => ({ t: i * 1000, types: usage(0, 0) }));
  const bounded = timeline(many, 999_000, 3_600_000, 100);
  assert.equal(bounded.length, 100);
  assert.equal(bounded.at(-1)!.t, new Date(999_000).toISOString(), 'the newest are kept');
  assert.deepEqual(timeline([], 0, 1000), []);
});
