// Serving the built console (src/api/console-static.ts) beside the API, through fastify's inject(): content types,
// caching, deep links, API paths untouched, and no way out of the assets folder.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApiServer } from '../../../src/api/server.js';
import type { ApiContext } from '../../../src/api/context.js';
import { assetPath } from '../../../src/api/console-static.js';
import { createLogger } from '../../../src/shared/logger.js';

let api: FastifyInstance;
const dir = mkdtempSync(join(tmpdir(), 'yb-console-'));

before(async () => {
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Yunbang</title><div id="root"></div>');
  writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
  writeFileSync(join(dir, 'assets', 'index-abc123.css'), 'body{}');
  writeFileSync(join(dir, 'secret.txt'), 'not served');
  const ctx = {
    apiUrl: 'http://127.0.0.1:5050',
    log: createLogger('test', 'silent'),
    dataDir: '/nonexistent',
    domain: 'localhost',
    routerPort: 8080,
    hookSecret: 'x',
    consoleDir: dir,
  } as unknown as ApiContext;
  api = await buildApiServer(ctx);
});

after(async () => {
  await api?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('/ and every /console/... deep link answer index.html, never cached, with a strict CSP', async () => {
  for (const url of ['/', '/console', '/console/apps/hello', '/console/apps/hello/logs?x=1']) {
    const r = await api.inject({ method: 'GET', url });
    assert.equal(r.statusCode, 200, url);
    assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(r.headers['cache-control'], 'no-cache');
    assert.match(String(r.headers['content-security-policy']), /script-src 'self'.*frame-ancestors 'none'/);
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.match(r.body, /<div id="root">/);
  }
});

test('hashed assets get their content type and a year of immutable caching', async () => {
  const js = await api.inject({ method: 'GET', url: '/assets/index-abc123.js' });
  assert.equal(js.statusCode, 200);
  assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
  const css = await api.inject({ method: 'GET', url: '/assets/index-abc123.css' });
  assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
});

test('attack: asset paths cannot leave the assets folder in any spelling', async () => {
  for (const url of [
    '/assets/../secret.txt',
    '/assets/..%2fsecret.txt',
    '/assets/%2e%2e/secret.txt',
    '/assets/..%5csecret.txt',
    '/assets/.hidden',
    '/assets/a/b.js',
  ]) {
    const r = await api.inject({ method: 'GET', url });
    assert.notEqual(r.statusCode, 200, url);
    assert.doesNotMatch(r.body, /not served/, url);
  }
  assert.equal(assetPath(dir, '../secret.txt'), null);
  assert.equal(assetPath(dir, 'index-abc123.js'), join(dir, 'assets', 'index-abc123.js'));
});

test('API paths keep answering JSON: an unknown API path is JSON (401 without a token, 404 with one), never the page', async () => {
  for (const url of ['/v1/apps', '/apps-nope', '/consolex', '/assetsx/a.js']) {
    const r = await api.inject({ method: 'GET', url });
    assert.equal(r.statusCode, 401, url);
    assert.match(String(r.headers['content-type']), /application\/json/, url);
    assert.doesNotMatch(r.body, /<div id="root">/, url);
  }
  const apps = await api.inject({ method: 'GET', url: '/apps' });
  assert.equal(apps.statusCode, 401, 'the API still wants a token');
  assert.equal(apps.json().id, 'unauthorized');
  const doc = await api.inject({ method: 'GET', url: '/openapi.json' });
  assert.equal(doc.statusCode, 200);
  assert.ok(!('/' in doc.json().paths) && !('/console/*' in doc.json().paths), 'the console is not part of the API document');
});

test('without a built console, / says how to build it in one sentence', async () => {
  const ctx = {
    apiUrl: 'http://x',
    log: createLogger('t', 'silent'),
    dataDir: '/x',
    domain: 'l',
    routerPort: 1,
    hookSecret: 'x',
    consoleDir: join(dir, 'none'),
  };
  const bare = await buildApiServer(ctx as unknown as ApiContext);
  const r = await bare.inject({ method: 'GET', url: '/' });
  await bare.close();
  assert.equal(r.statusCode, 404);
  assert.match(r.json().message, /not built/);
  assert.match(r.json().hint, /prereqs\.sh/);
});
