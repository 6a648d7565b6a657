// Issue #18 item 5: pipelines. A staging and a production app with different config in one pipeline; promoting
// staging copies its release (the same image id, no build) to production as a new release with production's config,
// rolled out and served through the router in seconds. Promoting an app without a release, from the last stage, or
// to another team's app is refused in one sentence and changes nothing. The pipeline survives a crash of ybd.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPlatform, deployFixture, type Platform } from '../../helpers/platform.js';
import { until } from '../../helpers/until.js';

let p: Platform;

async function api(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${p.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${p.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

before(async () => {
  p = await startPlatform();
  await deployFixture(p, 'shop-staging', 'node-zero');
  await p.yb(['config:set', 'GREETING=staging', '-a', 'shop-staging']);
  await p.yb(['apps:create', 'shop-prod', '--no-remote']);
  await p.yb(['config:set', 'GREETING=production', '-a', 'shop-prod']);
});

after(async () => {
  await p?.stop();
});

test('promote copies the staging image to production with production config, in seconds', async () => {
  assert.match((await p.yb(['pipelines:create', 'shop'])).stdout, /Created pipeline shop of team main/);
  await p.yb(['pipelines:add', 'shop-staging', '-p', 'shop', '--stage', 'staging']);
  await p.yb(['pipelines:add', '-a', 'shop-prod', '-p', 'shop', '--stage', 'production']);
  const info = JSON.parse((await p.yb(['pipelines:info', 'shop', '--json'])).stdout) as { apps: Record<string, string> };
  assert.deepEqual(info.apps, { 'shop-staging': 'staging', 'shop-prod': 'production' });

  const staging = await api('GET', '/apps/shop-staging');
  const stagingRelease = await api('GET', `/apps/shop-staging/releases/${staging.currentRelease}`);
  const buildsBefore = (await api('GET', '/apps/shop-staging/builds')).length;

  const started = Date.now();
  const r = await p.yb(['pipelines:promote', '-a', 'shop-staging']);
  const seconds = (Date.now() - started) / 1000;
  process.stdout.write(`# promote staging → production took ${seconds.toFixed(1)} s (CLI round trip)\n`);
  assert.match(r.stdout, new RegExp(`Promoting shop-staging v${staging.currentRelease} to production:`));
  assert.match(r.stdout, /shop-prod: v1 is live/);
  assert.ok(seconds < 60, `promotion took ${seconds} s`);

  const prod = await api('GET', '/apps/shop-prod');
  const prodRelease = await api('GET', `/apps/shop-prod/releases/${prod.currentRelease}`);
  assert.equal(prodRelease.imageId, stagingRelease.imageId, 'the same image, not a rebuild');
  assert.equal(prodRelease.description, `Promote shop-staging v${staging.currentRelease}`);
  assert.equal((await api('GET', '/apps/shop-staging/builds')).length, buildsBefore, 'no build ran');
  assert.equal((await p.fetchApp('shop-prod.localhost')).body, `ok v${prod.currentRelease} production`);
  assert.equal((await p.fetchApp('shop-staging.localhost')).body, `ok v${staging.currentRelease} staging`, 'staging keeps its own config');
});

test('refused: no next stage, no release, another team, an app outside the pipeline', async () => {
  const last = await p.yb(['pipelines:promote', '-a', 'shop-prod'], { allowFail: true });
  assert.notEqual(last.code, 0);
  assert.match(last.stderr, /shop-prod is in production, the last stage: there is no next stage to promote to/);

  await p.yb(['apps:create', 'shop-dev', '--no-remote']);
  await p.yb(['pipelines:add', 'shop-dev', '-p', 'shop', '--stage', 'development']);
  const empty = await p.yb(['pipelines:promote', '-a', 'shop-dev'], { allowFail: true });
  assert.match(empty.stderr, /shop-dev has no release to promote; deploy it first/);

  await api('POST', '/teams', { name: 'rivals' });
  await api('POST', '/apps', { name: 'rival-app', team: 'rivals' });
  const add = await p.yb(['pipelines:add', 'rival-app', '-p', 'shop', '--stage', 'production'], { allowFail: true });
  assert.match(add.stderr, /rival-app belongs to team rivals; pipeline shop holds only apps of team main/);
  const to = await p.yb(['pipelines:promote', '-a', 'shop-staging', '--to', 'rival-app'], { allowFail: true });
  assert.match(to.stderr, /rival-app is not in pipeline shop; only its own apps can be promoted to/);
  assert.equal((await api('GET', '/apps/rival-app')).currentRelease, 0, "the other team's app got no release");

  const prod = await api('GET', '/apps/shop-prod');
  assert.equal(prod.currentRelease, 1, 'production unchanged by the refusals');

  await p.yb(['pipelines:remove', 'shop-dev']);
  const info = JSON.parse((await p.yb(['pipelines:info', 'shop', '--json'])).stdout) as { apps: Record<string, string> };
  assert.ok(!('shop-dev' in info.apps));
  // Destroying an app uncouples it.
  await p.yb(['apps:destroy', '-a', 'shop-dev', '--confirm', 'shop-dev']);
  assert.match((await p.yb(['pipelines'])).stdout, /shop\s+main\s+2\s+off/);
});

test('a renamed app keeps its place in the pipeline', async () => {
  await p.yb(['apps:rename', 'shop-prod', 'shop-live']);
  const info = JSON.parse((await p.yb(['pipelines:info', 'shop', '--json'])).stdout) as { apps: Record<string, string> };
  assert.deepEqual(info.apps, { 'shop-staging': 'staging', 'shop-live': 'production' });
  await p.yb(['apps:rename', 'shop-live', 'shop-prod']);
});

test('the pipeline survives a control-plane restart; destroying it keeps its apps', async () => {
  p.kill9(); // its embedded etcd and router stay up; the next start adopts them
  await until('ybd gone', () => p.child.exitCode !== null || p.child.signalCode !== null);
  await p.restart();
  const info = JSON.parse((await p.yb(['pipelines:info', 'shop', '--json'])).stdout) as { apps: Record<string, string> };
  assert.deepEqual(info.apps, { 'shop-staging': 'staging', 'shop-prod': 'production' });
  const r = await p.yb(['pipelines:promote', '-a', 'shop-staging', '--to', 'shop-prod']);
  assert.match(r.stdout, /shop-prod: v2 is live/);
  assert.match((await p.fetchApp('shop-prod.localhost')).body, /^ok v2 production$/);

  const gone = await p.yb(['pipelines:destroy', 'shop'], { allowFail: true });
  assert.match(gone.stderr, /run again with --confirm shop/);
  assert.match((await p.yb(['pipelines:destroy', 'shop', '--confirm', 'shop'])).stdout, /Destroyed pipeline shop\./);
  assert.match((await p.yb(['pipelines'])).stdout, /No pipelines yet/);
  assert.equal((await api('GET', '/apps/shop-prod')).currentRelease, 2, 'its apps are kept');
  const after = await p.yb(['pipelines:promote', '-a', 'shop-staging'], { allowFail: true });
  assert.match(after.stderr, /shop-staging is in no pipeline/);
});
