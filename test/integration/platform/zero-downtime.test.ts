// Issue #4 proof: under steady load through the router (keep-alive and fresh connections), deploys, rollbacks,
// scaling 1→4→1, restarts and a failed-health-check deploy produce zero failed or 5xx responses; a slow starter
// gets no traffic before it listens. Real platform, real Docker, real router.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPlatform, fixtureRepo, git, type Platform } from '../../helpers/platform.js';
import { startLoad, type Load } from '../../helpers/load.js';

let p: Platform;
let load: Load | undefined;
const HOST = 'zero.localhost';

before(async () => {
  p = await startPlatform({ YB_HEALTH_TIMEOUT: '40' });
  const repo = await fixtureRepo('node-zero', p.dataDir);
  await p.yb(['apps:create', 'zero']);
  const push = await git(repo, ['push', `http://yb:${p.token}@${new URL(p.apiUrl).host}/git/zero.git`, 'main']);
  assert.equal(push.code, 0, push.output);
});

after(async () => {
  await load?.stop();
  await p?.stop();
});

async function current(): Promise<string> {
  return (await p.fetchApp(HOST)).body;
}

test('deploys, rollbacks, scaling, restarts and a failed deploy drop no request', async () => {
  load = startLoad(p.routerPort, HOST, { keepAlive: 4, fresh: 2, maxSeconds: 420 });
  for (let i = 1; i <= 10; i++) {
    await p.yb(['config:set', `GREETING=deploy-${i}`, '-a', 'zero']);
    assert.equal(await current(), `ok v${i + 1} deploy-${i}`);
  }
  for (let i = 1; i <= 5; i++) {
    await p.yb(['rollback', '-a', 'zero']);
    assert.match(await current(), /^ok v\d+ deploy-\d+$/);
  }
  const releases = JSON.parse((await p.yb(['releases', '-a', 'zero', '-n', '100', '--json'])).stdout) as Array<{ version: number; description: string }>;
  assert.equal(releases.filter((r) => r.description.startsWith('Rollback')).length, 5);

  await p.yb(['ps:scale', 'web=4', '-a', 'zero']);
  let ps = JSON.parse((await p.yb(['ps', '-a', 'zero', '--json'])).stdout) as Array<{ name: string; state: string }>;
  assert.deepEqual(
    ps.map((d) => d.name),
    ['web.1', 'web.2', 'web.3', 'web.4'],
  );
  await p.yb(['ps:restart', '-a', 'zero']);
  await p.yb(['ps:scale', 'web=1', '-a', 'zero']);
  ps = JSON.parse((await p.yb(['ps', '-a', 'zero', '--json'])).stdout) as Array<{ name: string; state: string }>;
  assert.deepEqual(
    ps.map((d) => [d.name, d.state]),
    [['web.1', 'up']],
  );

  const before = await current();
  const failed = await p.yb(['config:set', 'CRASH_ON_START=1', '-a', 'zero'], { allowFail: true });
  assert.notEqual(failed.code, 0, 'a deploy whose processes crash must fail');
  assert.match(failed.stderr, /health check/);
  assert.equal(await current(), before, 'the old release keeps serving');
  const rel = JSON.parse((await p.yb(['releases', '-a', 'zero', '-n', '1', '--json'])).stdout) as Array<{
    status: string;
    statusReason: string;
    current: boolean;
  }>;
  assert.equal(rel[0]!.status, 'failed');
  assert.equal(rel[0]!.current, false);
  await p.yb(['config:unset', 'CRASH_ON_START', '-a', 'zero']);

  const r = await load.stop();
  load = undefined;
  assert.ok(r.requests > 200, `enough traffic was sent (${r.requests})`);
  assert.equal(r.failures, 0, `failed requests: ${r.failures} of ${r.requests}: ${r.samples.join(' | ')}`);
});

test('a process that takes 15 s to listen gets no traffic before it is ready', async () => {
  load = startLoad(p.routerPort, HOST, { keepAlive: 2, fresh: 1, maxSeconds: 120, pauseMs: 5 });
  const started = Date.now();
  await p.yb(['config:set', 'LISTEN_DELAY_MS=15000', 'GREETING=slow', '-a', 'zero']);
  assert.ok(Date.now() - started >= 15_000, 'the rollout waited for the process to listen');
  assert.match(await current(), /slow$/);
  const r = await load.stop();
  load = undefined;
  assert.equal(r.failures, 0, `failed requests: ${r.failures} of ${r.requests}: ${r.samples.join(' | ')}`);
});
