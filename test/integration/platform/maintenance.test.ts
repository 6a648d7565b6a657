// Issue #18 item 3: maintenance mode. `yb maintenance:on` makes the router answer 503 (Retry-After, its own page or
// the app's) on every host of the app, custom domains and ones added meanwhile included, while the processes keep
// running: `yb ps`, `yb run` and deploys work; `maintenance:off` serves the app again. Bad input changes nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPlatform, fixtureRepo, git, ROOT, type Platform } from '../../helpers/platform.js';
import { until } from '../../helpers/until.js';

const APP = 'shut';
const HOST = `${APP}.localhost`;
const EXPECTED = readFileSync(join(ROOT, 'test/fixtures/apps/dockerfile-hello/EXPECTED'), 'utf8').trim();
let p: Platform;

before(async () => {
  p = await startPlatform();
  const repo = await fixtureRepo('dockerfile-hello', p.dataDir);
  await p.yb(['apps:create', APP]);
  const push = await git(repo, ['push', `http://yb:${p.token}@${new URL(p.apiUrl).host}/git/${APP}.git`, 'main']);
  assert.equal(push.code, 0, push.output);
  await p.yb(['domains:add', 'shut.example.test', '-a', APP]);
});

after(async () => {
  await p?.stop();
});

/** GET through the router with a Host header; the status, Retry-After and body. */
function get(host: string, method = 'GET'): Promise<{ status: number; retryAfter?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: p.routerPort, path: '/', method, headers: { host }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('maintenance:on answers 503 on every host while the processes keep working; off serves the app again', async () => {
  const on = await p.yb(['maintenance:on', '-a', APP]);
  assert.match(on.stdout, /down for maintenance/);
  for (const host of [HOST, 'shut.example.test']) {
    const r = await until(`${host} in maintenance`, async () => {
      const x = await get(host);
      return x.status === 503 && x;
    });
    assert.equal(r.retryAfter, '60');
    assert.match(r.body, /Down for maintenance/);
  }
  // Both router paths (the fast path hands such requests to node:http): HEAD gets the status and no body.
  const head = await get(HOST, 'HEAD');
  assert.equal(head.status, 503);
  assert.equal(head.body, '');
  // A host added during maintenance is in maintenance too.
  await p.yb(['domains:add', 'late.example.test', '-a', APP]);
  await until('the late host in maintenance', async () => (await get('late.example.test')).status === 503);
  assert.match((await p.yb(['maintenance', '-a', APP])).stdout, /is down for maintenance/);

  // The processes are untouched: they run, a one-off runs, and a deploy rolls out behind the maintenance page.
  const ps = JSON.parse((await p.yb(['ps', '-a', APP, '--json'])).stdout) as Array<{ name: string; state: string }>;
  assert.deepEqual(
    ps.map((x) => `${x.name}:${x.state}`),
    ['web.1:up'],
  );
  const run = await p.yb(['run', '-a', APP, '--', 'echo from-a-one-off']);
  assert.match(run.stdout, /from-a-one-off/);
  await p.yb(['config:set', 'DURING=maintenance', '-a', APP]);
  assert.equal((await get(HOST)).status, 503, 'a deploy does not end maintenance');

  // The app's own page.
  const page = join(p.dataDir, 'maintenance.html');
  writeFileSync(page, '<!doctype html><title>Back soon</title><h1>We are upgrading the shop</h1>\n');
  await p.yb(['maintenance:on', '--page', page, '-a', APP]);
  await until('the custom page served', async () => (await get(HOST)).body === readFileSync(page, 'utf8'));
  assert.match((await p.yb(['maintenance', '-a', APP])).stdout, /its own page/);

  await p.yb(['maintenance:off', '-a', APP]);
  for (const host of [HOST, 'shut.example.test', 'late.example.test']) {
    await until(`${host} served again`, async () => {
      const x = await get(host);
      return x.status === 200 && x.body === EXPECTED;
    });
  }
  const events = (await p.yb(['events', '-a', APP])).stdout;
  assert.match(events, /maintenance\.on/);
  assert.match(events, /maintenance\.off/);
});

test('a page too large, a missing page file and a page with off are refused in one sentence and change nothing', async () => {
  const big = join(p.dataDir, 'big.html');
  writeFileSync(big, 'x'.repeat(64 * 1024 + 1));
  const tooBig = await p.yb(['maintenance:on', '--page', big, '-a', APP], { allowFail: true });
  assert.notEqual(tooBig.code, 0);
  assert.match(tooBig.stderr, /64 KiB|must NOT have more than/);
  const missing = await p.yb(['maintenance:on', '--page', join(p.dataDir, 'nope.html'), '-a', APP], { allowFail: true });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read the maintenance page/);
  const both = await fetch(`${p.apiUrl}/apps/${APP}/maintenance`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${p.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ enabled: false, page: '<p>x</p>' }),
  });
  assert.equal(both.status, 400);
  assert.match(JSON.stringify(await both.json()), /goes with turning maintenance on/);
  assert.match((await p.yb(['maintenance', '-a', APP])).stdout, /not in maintenance mode/);
  assert.equal((await get(HOST)).body, EXPECTED);
});
