import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRouteTable, normalizeHost } from '../../../src/router/route-table.js';
import { parseSnapshot } from '../../../src/router/table-input.js';

const P = '/t/';
function table(kv: Record<string, unknown>, revision = 7) {
  const m = new Map(Object.entries(kv).map(([k, v]) => [P + k, typeof v === 'string' ? v : JSON.stringify(v)]));
  return buildRouteTable(parseSnapshot(P, m, revision));
}
const ep = (port: number, release = 1) => ({ host: '127.0.0.1', port, release, container: `c${port}` });

test('normalizeHost strips port and trailing dot and lower-cases', () => {
  assert.equal(normalizeHost('Example.COM:8080'), 'example.com');
  assert.equal(normalizeHost('example.com.'), 'example.com');
  assert.equal(normalizeHost('[::1]:8080'), '[::1]');
  assert.equal(normalizeHost('localhost'), 'localhost');
});

test('exact host routes to its app with sorted web endpoints only', () => {
  const t = table({
    'routes/hello.localhost': { app: 'hello' },
    'endpoints/hello/web/b': ep(2),
    'endpoints/hello/web/a': ep(1),
    'endpoints/hello/worker/w': ep(3),
  });
  const r = t.lookup('Hello.localhost:8080');
  assert.equal(r?.app, 'hello');
  assert.deepEqual(
    r?.endpoints.map((e) => e.addr),
    ['127.0.0.1:1', '127.0.0.1:2'],
  );
  assert.equal(r?.endpoints[0]?.instance, 'a');
  assert.equal(t.revision, 7);
  assert.equal(t.hostCount, 1);
});

test('unknown host, empty host and app without endpoints', () => {
  const t = table({ 'routes/a.test': { app: 'a' } });
  assert.equal(t.lookup('b.test'), undefined);
  assert.equal(t.lookup(undefined), undefined);
  assert.equal(t.lookup(''), undefined);
  assert.deepEqual(t.lookup('a.test')?.endpoints, []);
});

test('wildcards match any depth, longest wildcard wins, exact beats wildcard', () => {
  const t = table({
    'routes/*.example.com': { app: 'wild' },
    'routes/*.api.example.com': { app: 'api' },
    'routes/www.example.com': { app: 'www' },
  });
  assert.equal(t.lookup('foo.example.com')?.app, 'wild');
  assert.equal(t.lookup('a.b.example.com')?.app, 'wild');
  assert.equal(t.lookup('v1.api.example.com')?.app, 'api');
  assert.equal(t.lookup('WWW.example.com:80')?.app, 'www');
  assert.equal(t.lookup('example.com'), undefined);
  assert.equal(t.lookup('notexample.com'), undefined);
});

test('bad records are reported and skipped; the rest applies', () => {
  const m = new Map([
    [P + 'routes/ok.test', JSON.stringify({ app: 'ok' })],
    [P + 'routes/bad.test', '{nope'],
    [P + 'routes/noapp.test', JSON.stringify({ x: 1 })],
    [P + 'endpoints/ok/web/1', JSON.stringify({ host: '127.0.0.1', port: 70000 })],
    [P + 'endpoints/ok/web/2', JSON.stringify(ep(5))],
    [P + 'apps/ok', '{}'],
  ]);
  const s = parseSnapshot(P, m, 1);
  assert.equal(s.problems.length, 3);
  const t = buildRouteTable(s);
  assert.deepEqual(
    t.lookup('ok.test')?.endpoints.map((e) => e.port),
    [5],
  );
  assert.equal(t.lookup('bad.test'), undefined);
});

test('built tables are immutable', () => {
  const t = table({ 'routes/a.test': { app: 'a' }, 'endpoints/a/web/1': ep(1) });
  const r = t.lookup('a.test')!;
  assert.throws(() => (r.endpoints as unknown as unknown[]).push({}));
  assert.throws(() => ((r as { app: string }).app = 'x'));
});

test('10,000 routes: lookup stays a map hit', () => {
  const kv: Record<string, unknown> = {};
  for (let i = 0; i < 10_000; i++) {
    kv[`routes/app${i}.test`] = { app: `app${i}` };
    kv[`endpoints/app${i}/web/1`] = ep(1000 + (i % 50000));
  }
  const t = table(kv);
  assert.equal(t.hostCount, 10_000);
  assert.equal(t.lookup('app9999.test')?.app, 'app9999');
});
