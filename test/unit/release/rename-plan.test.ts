// The pure plan of `yb apps:rename` (src/release/rename-plan.ts): where keys go, how values change, the one switch
// transaction, dependents' config and following former names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keys } from '../../../src/store/keys.js';
import { appPrefixes, currentName, cutover, dependentConfigPatch, movedKey, movedValue, type RenameJournal } from '../../../src/release/rename-plan.js';
import type { Sealed } from '../../../src/shared/sealed.js';

const k = keys('/t/');
const sealed = (ctx: string): Sealed => ({ $sealed: 'aes-256-gcm', kid: 'k', iv: 'i', tag: 't', data: 'd', ctx });
const reseal = (s: Sealed, was: string, next: string): Sealed => {
  assert.equal(was, s.ctx ?? 'config:shop', 'opened with the context it was sealed with');
  return { ...s, ctx: next, data: 'resealed' };
};

test('every key under the app and its builds moves; keys of other apps (even with the name as a prefix) do not', () => {
  assert.deepEqual(appPrefixes(k, 'shop'), ['/t/apps/shop/', '/t/builds/shop/']);
  assert.equal(movedKey(k, '/t/apps/shop/releases/00000003', 'shop', 'store'), '/t/apps/store/releases/00000003');
  assert.equal(movedKey(k, '/t/apps/shop/autoscale/web', 'shop', 'store'), '/t/apps/store/autoscale/web');
  assert.equal(movedKey(k, '/t/builds/shop/b1', 'shop', 'store'), '/t/builds/store/b1');
  assert.equal(movedKey(k, '/t/apps/shop-api/config', 'shop', 'store'), null);
  assert.equal(movedKey(k, '/t/apps/shop', 'shop', 'store'), null, 'the record itself moves in the switch');
  assert.equal(movedKey(k, '/t/builds/shopping/b1', 'shop', 'store'), null);
});

test('values: app fields, platform image tags and config sealed for the old name follow; the rest is kept as is', () => {
  const release = {
    version: 3,
    app: 'shop',
    image: 'yunbang-app/shop:b1',
    imageId: 'sha256:x',
    registryImage: 'r/i/shop@sha256:y',
    config: sealed('config:shop'),
  };
  assert.deepEqual(movedValue(release, 'shop', 'store', reseal), {
    ...release,
    app: 'store',
    image: 'yunbang-app/store:b1',
    config: { ...sealed('config:store'), data: 'resealed' },
  });
  assert.deepEqual(movedValue(sealed('config:shop'), 'shop', 'store', reseal), { ...sealed('config:store'), data: 'resealed' });
  const mount = { app: 'shop', volume: 'data', path: '/data' };
  assert.deepEqual(movedValue(mount, 'shop', 'store', reseal), { ...mount, app: 'store' });
  const imported = { app: 'shopper', image: 'yunbang-app/shopper:b1', other: 'shop' };
  assert.deepEqual(movedValue(imported, 'shop', 'store', reseal), imported);
  // Any feature's secret bound to the app name follows (a webhook's); one bound to something else does not.
  const hook = {
    app: 'shop',
    secret: sealed('webhook-secret:shop'),
    repo: sealed('webhook-repo:shop'),
    other: sealed('service:db'),
    near: sealed('config:myshop'),
  };
  assert.deepEqual(movedValue(hook, 'shop', 'store', reseal), {
    ...hook,
    app: 'store',
    secret: { ...sealed('webhook-secret:store'), data: 'resealed' },
    repo: { ...sealed('webhook-repo:store'), data: 'resealed' },
  });
  // Envelopes from before they named their context: config.
  const { ctx: _none, ...legacy } = sealed('x');
  assert.deepEqual(movedValue(legacy, 'shop', 'store', reseal), { ...legacy, ctx: 'config:store', data: 'resealed' });
  assert.equal(movedValue(7, 'shop', 'store', reseal), 7);
  assert.deepEqual(movedValue(['shop'], 'shop', 'store', reseal), ['shop']);
});

const journal: RenameJournal = { from: 'shop', to: 'store', team: 't1', by: 'ann', phase: 'copying', startedAt: '2026-01-01T00:00:00Z' };

test('the switch: default host moves, custom domains stay with their settings, endpoints move, links, certs, dependencies, pipelines and review apps follow', () => {
  const plan = cutover(k, {
    from: 'shop',
    to: 'store',
    domain: 'example.test',
    app: { name: 'shop', team: 't1', currentRelease: 3 },
    routes: [
      { key: '/t/routes/shop.example.test', value: { app: 'shop', httpsOnly: true } },
      { key: '/t/routes/www.shop.test', value: { app: 'shop', maintenance: { page: 'x' } } },
      { key: '/t/routes/other.example.test', value: { app: 'other' } },
    ],
    endpoints: [{ key: '/t/endpoints/shop/web/v3.1.ab', value: { host: '10.0.0.2', port: 5000, release: 3, container: 'c1' } }],
    services: [
      { key: '/t/services/db', value: { links: [{ app: 'shop' }, { app: 'other' }] } },
      { key: '/t/services/cache', value: { links: [{ app: 'other' }] } },
    ],
    certs: [
      { key: '/t/certs/www.shop.test', value: { app: 'shop' } },
      { key: '/t/certs/x.test', value: { app: 'other' } },
    ],
    deps: [
      { key: '/t/apps/web/deps/shop', value: { app: 'web', other: 'shop' } },
      { key: '/t/apps/web/deps/db2', value: { app: 'web', other: 'db2' } },
    ],
    pipelines: [
      { key: '/t/workflow/pipelines/p1', value: { apps: { shop: 'development', web: 'production' }, reviewApps: { parent: 'shop' } } },
      { key: '/t/workflow/pipelines/p2', value: { apps: { other: 'staging' } } },
    ],
    reviewApps: [
      { key: '/t/workflow/review-apps/shop-login', value: { app: 'shop-login', parent: 'shop' } },
      { key: '/t/workflow/review-apps/shop', value: { app: 'shop', parent: 'dev' } },
      { key: '/t/workflow/review-apps/x-y', value: { app: 'x-y', parent: 'x' } },
    ],
    journal,
    at: 'now',
  });
  const puts = Object.fromEntries(plan.puts.map((p) => [p.key, p.value]));
  assert.deepEqual(puts['/t/apps/store'], { name: 'store', team: 't1', currentRelease: 3 });
  assert.deepEqual(puts['/t/routes/store.example.test'], { app: 'store', httpsOnly: true });
  assert.deepEqual(puts['/t/routes/www.shop.test'], { app: 'store', maintenance: { page: 'x' } });
  assert.equal(puts['/t/routes/other.example.test'], undefined);
  assert.deepEqual(puts['/t/endpoints/store/web/v3.1.ab'], { host: '10.0.0.2', port: 5000, release: 3, container: 'c1' });
  assert.deepEqual(puts['/t/services/db'], { links: [{ app: 'store' }, { app: 'other' }] });
  assert.equal(puts['/t/services/cache'], undefined);
  assert.deepEqual(puts['/t/certs/www.shop.test'], { app: 'store' });
  assert.equal(puts['/t/certs/x.test'], undefined);
  assert.deepEqual(puts['/t/apps/web/deps/store'], { app: 'web', other: 'store' });
  assert.deepEqual(puts['/t/workflow/pipelines/p1'], { apps: { store: 'development', web: 'production' }, reviewApps: { parent: 'store' } });
  assert.equal(puts['/t/workflow/pipelines/p2'], undefined);
  assert.deepEqual(puts['/t/workflow/review-apps/shop-login'], { app: 'shop-login', parent: 'store' });
  assert.deepEqual(puts['/t/workflow/review-apps/store'], { app: 'store', parent: 'dev' }, 'a renamed review app keeps its record');
  assert.equal(puts['/t/workflow/review-apps/x-y'], undefined);
  assert.equal((puts['/t/locks/rename/store'] as RenameJournal).phase, 'switched');
  assert.deepEqual(puts['/t/former-names/shop'], { to: 'store', team: 't1', at: 'now' });
  assert.deepEqual(
    plan.deletes.sort(),
    ['/t/apps/shop', '/t/apps/web/deps/shop', '/t/endpoints/shop/web/v3.1.ab', '/t/routes/shop.example.test', '/t/workflow/review-apps/shop'].sort(),
  );
  // etcd refuses a transaction that writes and deletes the same key.
  assert.equal(plan.deletes.filter((d) => d in puts).length, 0);
});

test('dependents keep their variable names; the values name the new host', () => {
  const config = { SHOP_URL: 'http://shop:5000', SHOP_HOST: 'shop', SHOP_PORT: '5000', OTHER: 'http://shop:1/' };
  assert.deepEqual(dependentConfigPatch(config, ['SHOP_URL', 'SHOP_HOST', 'SHOP_PORT', 'MISSING'], 'shop', 'store'), {
    SHOP_URL: 'http://store:5000',
    SHOP_HOST: 'store',
  });
  assert.deepEqual(dependentConfigPatch({ SHOP_URL: 'http://store:5000' }, ['SHOP_URL'], 'shop', 'store'), {}, 'a second finish changes nothing');
});

test('former names are followed through chains; loops and unknown names give null', () => {
  const m = new Map([
    ['a', 'b'],
    ['b', 'c'],
    ['x', 'y'],
    ['y', 'x'],
  ]);
  assert.equal(currentName('a', m), 'c');
  assert.equal(currentName('b', m), 'c');
  assert.equal(currentName('c', m), null);
  assert.equal(currentName('x', m), null);
});
