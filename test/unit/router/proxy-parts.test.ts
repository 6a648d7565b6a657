import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { forwardHeaders, requestIdOf } from '../../../src/router/proxy.js';
import { errorPage, errorStatus } from '../../../src/router/error-pages.js';
import { RouterMetrics, mergeSnapshots, renderMetrics } from '../../../src/router/metrics.js';

function fakeReq(raw: string[]): IncomingMessage {
  const headers: Record<string, string> = {};
  for (let i = 0; i < raw.length; i += 2) headers[raw[i]!.toLowerCase()] = raw[i + 1]!;
  return { rawHeaders: raw, headers, socket: { remoteAddress: '10.1.1.1', localPort: 8080 } } as unknown as IncomingMessage;
}

test('forwardHeaders drops hop-by-hop and spoofable headers, appends X-Forwarded-For, keeps the rest', () => {
  const req = fakeReq([
    'Host',
    'a.test',
    'Connection',
    'keep-alive',
    'X-Forwarded-For',
    '1.2.3.4',
    'X-Forwarded-Proto',
    'https',
    'Accept',
    '*/*',
    'Set-Thing',
    'x',
    'Transfer-Encoding',
    'chunked',
    'Expect',
    '100-continue',
  ]);
  const h = forwardHeaders(req, 'rid', 'http');
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i < h.length; i += 2) pairs.push([h[i]!, h[i + 1]!]);
  assert.deepEqual(pairs, [
    ['Host', 'a.test'],
    ['Accept', '*/*'],
    ['Set-Thing', 'x'],
    ['x-forwarded-for', '1.2.3.4, 10.1.1.1'],
    ['x-forwarded-proto', 'http'],
    ['x-forwarded-port', '8080'],
    ['x-forwarded-host', 'a.test'],
    ['x-request-id', 'rid'],
  ]);
});

test('request id is kept when plausible, else generated', () => {
  assert.equal(requestIdOf(fakeReq(['X-Request-Id', 'abc'])), 'abc');
  assert.match(requestIdOf(fakeReq([])), /^[0-9a-f-]{36}$/);
  assert.match(requestIdOf(fakeReq(['X-Request-Id', 'x'.repeat(201)])), /^[0-9a-f-]{36}$/);
});

test('error pages: statuses and escaped request ids', () => {
  assert.deepEqual(
    ['no_route', 'no_endpoints', 'bad_gateway', 'gateway_timeout'].map((k) => errorStatus(k as 'no_route')),
    [404, 503, 502, 504],
  );
  const page = errorPage('no_route', '<script>').toString();
  assert.match(page, /No such app/);
  assert.ok(!page.includes('<script>'));
});

test('metrics: counts, histogram, merge across workers and text format', () => {
  const a = new RouterMetrics();
  a.started('web');
  a.finished('web', 200, 0.003, true);
  a.started('web');
  a.finished('web', 502, 2, true);
  a.upstreamError('web', 'connect');
  a.openConnections = 2;
  const b = new RouterMetrics();
  b.finished('web', 204, 0.02, false);
  const m = mergeSnapshots([a.snapshot(), b.snapshot()]);
  assert.equal(m.apps.web!.count, 3);
  assert.equal(m.apps.web!.active, 0);
  const text = renderMetrics(m, { revision: 9, routes: 1, workers: 2 });
  assert.match(text, /yb_router_requests_total\{app="web",code="2xx"\} 2/);
  assert.match(text, /yb_router_requests_total\{app="web",code="5xx"\} 1/);
  assert.match(text, /yb_router_request_duration_seconds_bucket\{app="web",le="0.005"\} 1/);
  assert.match(text, /yb_router_request_duration_seconds_bucket\{app="web",le="0.025"\} 2/);
  assert.match(text, /yb_router_request_duration_seconds_bucket\{app="web",le="\+Inf"\} 3/);
  assert.match(text, /yb_router_upstream_errors_total\{app="web",kind="connect"\} 1/);
  assert.match(text, /yb_router_open_connections 2/);
  assert.match(text, /yb_router_table_revision 9/);
});
