// Issue #19 item 7: an etcd outage is not an outage of the apps. While the platform's etcd hangs (SIGSTOP) or dies
// (SIGKILL), the router keeps serving from its last table, the API answers in one clear sentence, and ybd survives;
// once etcd is back (SIGCONT; after a kill, ybd starts its embedded etcd again on the same data) the API, deploys and
// the router's updates work again, with every app and release still there.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPlatform, fixtureRepo, git, ROOT, type Platform } from '../../helpers/platform.js';
import { startLoad } from '../../helpers/load.js';
import { until } from '../../helpers/until.js';

const APP = 'calm';
const HOST = `${APP}.localhost`;
const EXPECTED = readFileSync(join(ROOT, 'test/fixtures/apps/dockerfile-hello/EXPECTED'), 'utf8').trim();
let p: Platform;

before(async () => {
  p = await startPlatform();
  const repo = await fixtureRepo('dockerfile-hello', p.dataDir);
  await p.yb(['apps:create', APP]);
  const push = await git(repo, ['push', `http://yb:${p.token}@${new URL(p.apiUrl).host}/git/${APP}.git`, 'main']);
  assert.equal(push.code, 0, push.output);
});

after(async () => {
  const pid = etcdPid();
  if (pid) signal(pid, 'SIGCONT');
  await p?.stop();
});

const etcdPid = () => Number(readFileSync(join(p.dataDir, 'etcd.pid'), 'utf8').trim()) || 0;
function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

async function apiWorks(): Promise<boolean> {
  const r = await p.yb(['apps', '--json'], { allowFail: true });
  return r.code === 0 && r.stdout.includes(APP);
}

test('while etcd hangs, apps are served and the API says why it cannot answer; afterwards everything works', async () => {
  const load = startLoad(p.routerPort, HOST, { keepAlive: 2, fresh: 1, maxSeconds: 120, pauseMs: 5 });
  await until('traffic flowing', () => load.result.requests > 50);
  const pid = etcdPid();
  signal(pid, 'SIGSTOP');
  try {
    const sent = load.result.requests;
    const down = await p.yb(['apps'], { allowFail: true });
    assert.notEqual(down.code, 0);
    assert.match(down.stderr, /etcd is not reachable/);
    await until('traffic keeps flowing during the outage', () => load.result.requests > sent + 200, 30_000);
  } finally {
    signal(pid, 'SIGCONT');
  }
  await until('the API answers again', apiWorks, 60_000);
  const r = await load.stop();
  console.log(`# etcd hung: ${r.failures} failed of ${r.requests} requests`);
  assert.equal(r.failures, 0, r.samples.join(' | '));
  assert.equal(p.child.exitCode, null, `ybd must survive:\n${p.output().slice(-2000)}`);
  await p.yb(['config:set', 'AFTER=hang', '-a', APP]);
  assert.equal((await p.fetchApp(HOST)).body, EXPECTED);
});

test('when its embedded etcd dies, ybd starts it again on the same data and the platform carries on', async () => {
  const load = startLoad(p.routerPort, HOST, { keepAlive: 2, fresh: 1, maxSeconds: 120, pauseMs: 5 });
  await until('traffic flowing', () => load.result.requests > 50);
  const old = etcdPid();
  const t0 = Date.now();
  signal(old, 'SIGKILL');
  await until('a new etcd', () => etcdPid() !== old && etcdPid(), 30_000);
  await until('the API answers again', apiWorks, 60_000);
  console.log(`# etcd killed: API back after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const r = await load.stop();
  assert.equal(r.failures, 0, r.samples.join(' | '));
  assert.equal(p.child.exitCode, null, `ybd must survive:\n${p.output().slice(-2000)}`);
  const releases = JSON.parse((await p.yb(['releases', '-a', APP, '--json'])).stdout) as unknown[];
  assert.equal(releases.length, 2, 'the releases are all there');
  await p.yb(['config:set', 'AFTER=kill', '-a', APP]);
  assert.equal((await p.fetchApp(HOST)).body, EXPECTED);
  // The router follows etcd again: a new domain is routed.
  await p.yb(['domains:add', 'calm.example.test', '-a', APP]);
  await until('the new domain routed', async () => (await p.fetchApp('calm.example.test')).status === 200, 30_000);
});
