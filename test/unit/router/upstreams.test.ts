import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Upstreams } from '../../../src/router/upstreams.js';
import type { RouteTarget } from '../../../src/router/route-table.js';

const target = (app: string, ports: number[]): RouteTarget => ({
  app,
  httpsOnly: false,
  endpoints: ports.map((port) => ({ addr: `127.0.0.1:${port}`, host: '127.0.0.1', port, release: 1, instance: `i${port}` })),
});
const opts = { ejectMs: 60_000, connectTimeoutMs: 1000, keepAliveMs: 1000, connectionsPerEndpoint: null };

test('round robin across endpoints, per app', () => {
  const u = new Upstreams(opts);
  const t = target('a', [1, 2, 3]);
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6].map(() => u.pick(t)!.port),
    [1, 2, 3, 1, 2, 3],
  );
  assert.equal(u.pick(target('b', [9]))!.port, 9);
  assert.equal(u.pick(target('c', [])), undefined);
});

test('ejected endpoints are skipped; tried ones are excluded', () => {
  const u = new Upstreams(opts);
  const t = target('a', [1, 2, 3]);
  u.eject('127.0.0.1:2');
  assert.ok(u.isEjected('127.0.0.1:2'));
  const picks = Array.from({ length: 6 }, () => u.pick(t)!.port);
  assert.ok(!picks.includes(2), `picked an ejected endpoint: ${picks}`);
  assert.equal(u.pick(t, new Set(['127.0.0.1:1', '127.0.0.1:3']))!.port, 2, 'an ejected endpoint beats none');
  assert.equal(u.pick(t, new Set(['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3'])), undefined);
});

test('ejection expires', () => {
  const u = new Upstreams({ ...opts, ejectMs: -1 });
  u.eject('127.0.0.1:1');
  assert.equal(u.isEjected('127.0.0.1:1'), false);
  assert.equal(u.pick(target('a', [1]))!.port, 1);
});

test('pools are per address and dropped when the endpoint leaves the table', async () => {
  const u = new Upstreams(opts);
  const [e1, e2] = target('a', [1, 2]).endpoints;
  const p1 = u.pool(e1!);
  assert.equal(u.pool(e1!), p1);
  assert.notEqual(u.pool(e2!), p1);
  u.retain({ revision: 1, hostCount: 0, endpoints: [e2!], lookup: () => undefined });
  assert.notEqual(u.pool(e1!), p1, 'a new pool after the old one was retired');
  await u.close();
});
