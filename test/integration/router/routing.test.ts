import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEtcd, startUpstream, startTestRouter, uniquePrefix, putRoute, putEndpoint, deleteEndpoint, get, type Etcd, type Upstream } from './harness.js';
import { keys } from '../../../src/store/keys.js';
import type { RunningRouter } from '../../../src/router/router.js';

let etcd: Etcd;
let a: Upstream, b: Upstream, w: Upstream;
let router: RunningRouter & { url: string };
const prefix = uniquePrefix();

before(async () => {
  etcd = await startEtcd();
  [a, b, w] = await Promise.all([startUpstream('a1'), startUpstream('a2'), startUpstream('wild')]);
  await putRoute(etcd.client, prefix, 'hello.localhost', 'hello');
  await putRoute(etcd.client, prefix, '*.apps.test', 'wild');
  await putRoute(etcd.client, prefix, 'empty.localhost', 'empty');
  await putEndpoint(etcd.client, prefix, 'hello', 'web.1', a.port);
  await putEndpoint(etcd.client, prefix, 'hello', 'web.2', b.port);
  await putEndpoint(etcd.client, prefix, 'wild', 'web.1', w.port);
  router = await startTestRouter(etcd.etcd.endpoint, prefix);
});

after(async () => {
  await router?.close();
  await Promise.all([a?.close(), b?.close(), w?.close()]);
  await etcd?.close();
});

test('routes by host, round robin across endpoints, forwards headers', async () => {
  const seen = new Set<string>();
  for (let i = 0; i < 4; i++) {
    const r = await get(router.url, 'Hello.Localhost:8080', '/x?y=1', { 'x-forwarded-for': '10.0.0.1' });
    assert.equal(r.status, 200);
    const body = r.json() as { name: string; url: string; headers: Record<string, string> };
    seen.add(body.name);
    assert.equal(body.url, '/x?y=1');
    assert.equal(body.headers['x-forwarded-for'], '10.0.0.1, 127.0.0.1');
    assert.equal(body.headers['x-forwarded-proto'], 'http');
    assert.equal(body.headers['x-forwarded-host'], 'Hello.Localhost:8080');
    assert.equal(body.headers['x-forwarded-port'], String(new URL(router.url).port));
    assert.match(body.headers['x-request-id']!, /^[0-9a-f-]{36}$/);
  }
  assert.deepEqual([...seen].sort(), ['a1', 'a2']);
  const kept = await get(router.url, 'hello.localhost', '/', { 'x-request-id': 'abc-123' });
  assert.equal((kept.json() as { headers: Record<string, string> }).headers['x-request-id'], 'abc-123');
});

test('wildcard host', async () => {
  const r = await get(router.url, 'foo.apps.test');
  assert.equal(r.status, 200);
  assert.equal(r.json().name, 'wild');
});

test('unknown host is 404, app without endpoints 503, each an HTML page with the request id', async () => {
  const r404 = await get(router.url, 'nope.localhost', '/', { 'x-request-id': 'rid-404' });
  assert.equal(r404.status, 404);
  assert.match(String(r404.headers['content-type']), /text\/html/);
  assert.match(r404.text, /No such app/);
  assert.match(r404.text, /rid-404/);
  const r503 = await get(router.url, 'empty.localhost');
  assert.equal(r503.status, 503);
  assert.match(r503.text, /no running web processes/);
});

test('upstream that refuses connections gives 502', async () => {
  const dead = await startUpstream('dead');
  await dead.close();
  const rev = await putRoute(etcd.client, prefix, 'dead.localhost', 'dead');
  await putEndpoint(etcd.client, prefix, 'dead', 'web.1', dead.port);
  await router.waitPublished(rev + 1);
  const r = await get(router.url, 'dead.localhost');
  assert.equal(r.status, 502);
  assert.match(r.text, /Bad gateway/);
});

test('upstream too slow to answer gives 504', async () => {
  const slow = await startUpstream('slow', () => undefined); // never answers
  const r2 = await startTestRouter(etcd.etcd.endpoint, prefix, { headersTimeoutMs: 300 });
  try {
    await putRoute(etcd.client, prefix, 'slow.localhost', 'slow');
    const rev = await putEndpoint(etcd.client, prefix, 'slow', 'web.1', slow.port);
    await r2.waitPublished(rev);
    const r = await get(r2.url, 'slow.localhost');
    assert.equal(r.status, 504);
    assert.match(r.text, /Gateway timeout/);
  } finally {
    await r2.close();
    await slow.close();
  }
});

test('route and endpoint changes apply and the applied revision is published in routers/<id>', async () => {
  const up = await startUpstream('new');
  try {
    await putRoute(etcd.client, prefix, 'new.localhost', 'newapp');
    const rev = await putEndpoint(etcd.client, prefix, 'newapp', 'web.1', up.port);
    await router.waitPublished(rev);
    const rec = JSON.parse((await etcd.client.get(keys(prefix).router(router.id)).string())!) as { revision: number; id: string };
    assert.equal(rec.id, router.id);
    assert.ok(rec.revision >= rev, `published ${rec.revision} < ${rev}`);
    assert.equal((await get(router.url, 'new.localhost')).json().name, 'new');
    const del = await deleteEndpoint(etcd.client, prefix, 'newapp', 'web.1');
    await router.waitPublished(del);
    assert.equal((await get(router.url, 'new.localhost')).status, 503);
  } finally {
    await up.close();
  }
});

test('rewriting a value unchanged still advances the published revision', async () => {
  const rev = await putEndpoint(etcd.client, prefix, 'hello', 'web.1', a.port);
  await router.waitPublished(rev);
  assert.ok(router.publishedRevision() >= rev);
});

test('closing deregisters the router', async () => {
  const r2 = await startTestRouter(etcd.etcd.endpoint, prefix);
  const key = keys(prefix).router(r2.id);
  await r2.waitPublished(1);
  assert.ok(await etcd.client.get(key).string());
  await r2.close();
  assert.equal(await etcd.client.get(key).string(), null);
});
