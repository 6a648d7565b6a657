import { test } from 'node:test';
import assert from 'node:assert/strict';
import { increase, quantile, summarize, type Point } from '../../../src/metrics/series.js';
import { parsePromText, routerCounters } from '../../../src/metrics/prom-text.js';

test('increase counts a drop as a counter reset', () => {
  assert.equal(increase([10, 15, 20]), 10);
  assert.equal(increase([10, 15, 3, 5]), 5 + 3 + 2);
  assert.equal(increase([7]), 0);
});

test('quantile interpolates inside the bucket', () => {
  const le = [0.01, 0.1, 1, Infinity];
  assert.ok(Math.abs(quantile(0.5, le, [0, 10, 10, 10])! - 0.055) < 1e-12);
  assert.equal(quantile(0.5, le, [0, 0, 0, 0]), null);
  assert.equal(quantile(0.99, le, [0, 0, 0, 4]), 1, 'beyond the last finite bound: that bound');
});

const PROM = `# HELP yb_router_requests_total x
yb_router_requests_total{app="hello",code="2xx"} 90
yb_router_requests_total{app="hello",code="5xx"} 10
yb_router_requests_total{app="-",code="4xx"} 3
yb_router_request_duration_seconds_bucket{app="hello",le="0.005"} 50
yb_router_request_duration_seconds_bucket{app="hello",le="0.01"} 90
yb_router_request_duration_seconds_bucket{app="hello",le="+Inf"} 100
yb_router_request_duration_seconds_sum{app="hello"} 0.9
yb_router_request_duration_seconds_count{app="hello"} 100
`;

test('router counters per app from the Prometheus text', () => {
  const c = routerCounters(parsePromText(PROM));
  assert.deepEqual(Object.keys(c), ['hello']);
  assert.deepEqual(c.hello!.byClass, [0, 90, 0, 0, 10]);
  assert.deepEqual(c.hello!.le, [0.005, 0.01, Infinity]);
  assert.deepEqual(c.hello!.buckets, [50, 90, 100]);
  assert.equal(c.hello!.count, 100);
});

test('summary of the window: requests, error rate, latency quantiles, usage per process type', () => {
  const zero = routerCounters(parsePromText(PROM.replace(/ \d+(\.\d+)?$/gm, ' 0'))).hello!;
  const full = routerCounters(parsePromText(PROM)).hello!;
  const now = 1_800_000_000_000;
  const points: Point[] = [
    { t: now - 2 * 3600_000, router: zero },
    { t: now - 60_000, router: zero, types: { web: { cpu: 0.5, memoryBytes: 100, processes: 1, restarts: 0 } } },
    { t: now, router: full, types: { web: { cpu: 0.1, memoryBytes: 300, processes: 2, restarts: 1 } } },
  ];
  const s = summarize('hello', points, now, 3600_000);
  assert.equal(s.requests, 100);
  assert.equal(s.errorRate, 0.1);
  assert.equal(s.byClass['5xx'], 10);
  assert.equal(s.p50Ms, 5);
  assert.equal(s.p95Ms, 10);
  assert.equal(s.meanMs, 9);
  assert.deepEqual(s.processTypes.web, { processes: 2, restarts: 1, cpuAvg: 0.3, cpuMax: 0.5, memoryAvgBytes: 200, memoryMaxBytes: 300 });
  assert.equal(s.samples, 2, 'the point older than an hour is left out');
});
