import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dockerTimeKey, formatAccess, formatLine, matches, parseRouterLine, sinceSeconds, splitDockerLine, type LogLine } from '../../../src/logs/line.js';

const l = (s: LogLine['s'], p: string, m = 'x'): LogLine => ({ t: '2026-11-26T00:00:00.000Z', s, p, m });

test('lines read as Heroku writes them', () => {
  assert.equal(formatLine(l('app', 'web.1', 'listening on 5000')), '2026-11-26T00:00:00.000Z app[web.1]: listening on 5000');
  assert.equal(formatLine(l('yb', 'deploy', 'Release v3 created by admin')), '2026-11-26T00:00:00.000Z yb[deploy]: Release v3 created by admin');
  assert.equal(formatLine(l('router', '', 'method=GET path=/')), '2026-11-26T00:00:00.000Z router: method=GET path=/');
});

test('--ps matches a type or one process; --source one source', () => {
  assert.ok(matches(l('app', 'web.1'), { ps: 'web' }));
  assert.ok(matches(l('app', 'web.12'), { ps: 'web' }));
  assert.ok(!matches(l('app', 'webby.1'), { ps: 'web' }));
  assert.ok(matches(l('app', 'web.1'), { ps: 'web.1' }));
  assert.ok(!matches(l('app', 'web.12'), { ps: 'web.1' }));
  assert.ok(!matches(l('router', ''), { ps: 'web' }));
  assert.ok(matches(l('yb', 'web.1'), { ps: 'web' }), 'platform lines about a process follow it');
  assert.ok(matches(l('router', ''), { source: 'router' }));
  assert.ok(!matches(l('app', 'web.1'), { source: 'router' }));
  assert.ok(matches(l('app', 'web.1'), {}));
});

test('router access entries become router lines; other router output is ignored', () => {
  const entry = {
    level: 30,
    time: '2026-11-26T10:00:00.123Z',
    kind: 'access',
    app: 'hello',
    method: 'GET',
    host: 'hello.localhost',
    path: '/a b',
    status: 200,
    duration: 2.6,
    bytes: 12,
    upstream: '127.0.0.1:3000',
    requestId: 'r1',
  };
  const r = parseRouterLine(JSON.stringify(entry), 999);
  assert.ok(r);
  assert.equal(r.app, 'hello');
  assert.equal(r.line.o, 999);
  assert.equal(r.line.t, '2026-11-26T10:00:00.123Z');
  assert.equal(r.line.m, 'method=GET path="/a b" host=hello.localhost status=200 duration=3ms bytes=12 upstream=127.0.0.1:3000 request_id=r1');
  assert.equal(parseRouterLine(JSON.stringify({ ...entry, app: '-' }), 1), null, 'unrouted requests belong to no app');
  assert.equal(parseRouterLine(JSON.stringify({ level: 30, msg: 'listening' }), 1), null);
  assert.equal(parseRouterLine('{"torn', 1), null);
  assert.equal(parseRouterLine('plain text', 1), null);
  assert.match(formatAccess({ method: 'GET', path: '/', status: 502, error: 'connect refused' }), /upstream=- error="connect refused"$/);
});

test('Docker timestamps become sortable keys; since is whole seconds', () => {
  assert.equal(dockerTimeKey('2026-11-26T00:00:05.1234Z'), '2026-11-26T00:00:05.123400000Z');
  assert.equal(dockerTimeKey('2026-11-26T00:00:05Z'), '2026-11-26T00:00:05.000000000Z');
  assert.equal(dockerTimeKey('nonsense'), null);
  assert.ok(dockerTimeKey('2026-11-26T00:00:05.9Z')! > dockerTimeKey('2026-11-26T00:00:05.123456789Z')!);
  const s = splitDockerLine('2026-11-26T00:00:05.123456789Z hello world');
  assert.deepEqual(s, { key: '2026-11-26T00:00:05.123456789Z', iso: '2026-11-26T00:00:05.123Z', text: 'hello world' });
  assert.equal(splitDockerLine('2026-11-26T00:00:05.1Z')?.text, '');
  assert.equal(sinceSeconds('2026-11-26T00:00:05.999999999Z'), Date.parse('2026-11-26T00:00:05Z') / 1000);
});
