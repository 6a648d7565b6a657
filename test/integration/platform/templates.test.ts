// Issue #18 item 9: app templates. `yb templates` lists the catalogue (templates/); `yb apps:create NAME --template T`
// creates the app, its backing services in the app's team (created, health-checked, linked), its config, and
// deploys the template's source: a Node.js app on PostgreSQL, a Python app on Redis and a static site serve through
// the router. An unknown template is refused before anything is made.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPlatform, type Platform } from '../../helpers/platform.js';

let p: Platform;

before(async () => {
  p = await startPlatform();
});

after(async () => {
  await p?.stop();
  await p?.probe.removeVolumes().catch(() => undefined);
});

test('yb templates lists the catalogue', async () => {
  const list = JSON.parse((await p.yb(['templates', '--json'])).stdout) as Array<{ name: string; services: string[] }>;
  assert.deepEqual(
    list.map((t) => `${t.name}:${t.services.join(',')}`),
    ['node-postgres:postgres', 'python-redis:redis', 'static-site:'],
  );
});

test('node-postgres: the app, its linked PostgreSQL and its config, serving a counter kept in the database', async () => {
  const r = await p.yb(['apps:create', 'shop', '--template', 'node-postgres']);
  assert.match(r.stdout, /Creating postgres service shop-postgres/);
  assert.match(r.stdout, /v\d+ is live at/);
  assert.equal((await p.fetchApp('shop.localhost')).body, 'hello from node-postgres: visit 1\n');
  assert.equal((await p.fetchApp('shop.localhost')).body, 'hello from node-postgres: visit 2\n');
  const service = JSON.parse((await p.yb(['services:info', 'shop-postgres', '--json'])).stdout) as { links: Array<{ app: string }> };
  assert.deepEqual(
    service.links.map((l) => l.app),
    ['shop'],
  );
});

test('python-redis and static-site serve too', async () => {
  await p.yb(['apps:create', 'counter', '--template', 'python-redis']);
  assert.equal((await p.fetchApp('counter.localhost')).body, 'hello from python-redis: visit 1\n');
  await p.yb(['apps:create', 'site', '--template', 'static-site']);
  assert.match((await p.fetchApp('site.localhost')).body, /Your static site is live/);
});

test('an unknown template is refused before the app is made', async () => {
  const r = await p.yb(['apps:create', 'ghost', '--template', 'no-such'], { allowFail: true });
  assert.equal(r.code, 4);
  assert.match(r.stderr, /no template named "no-such"/);
  const apps = JSON.parse((await p.yb(['apps', '--json'])).stdout) as Array<{ name: string }>;
  assert.ok(!apps.some((a) => a.name === 'ghost'), 'no app was created');
});
