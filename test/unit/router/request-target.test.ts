// request-target.ts: which host a request is routed by and which target is forwarded, or why it is refused
// (issue #14: absolute-form targets, repeated, empty and invalid Host, CONNECT).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideTarget, validHost } from '../../../src/router/request-target.js';

test('valid Host values: names, addresses and ports', () => {
  for (const h of [
    'a',
    'app.localhost',
    'App.Example.COM:8080',
    'x_y.example',
    'a-b.c',
    '127.0.0.1',
    '127.0.0.1:80',
    '[::1]',
    '[::1]:8080',
    '[2001:db8::1]',
    'a.localhost:',
    'a%41b',
    'example.com.',
  ])
    assert.ok(validHost(h), h);
});

test('invalid Host values: anything an app could read as another host or URL', () => {
  for (const h of [
    '',
    ':80',
    'a b',
    'a\tb',
    'a/b',
    'a\\b',
    'a@b',
    'victim.localhost:80@evil',
    'a:80:80',
    'a:8o',
    'a?b',
    'a#b',
    '[::1',
    '::1',
    '[::1]x',
    '[::g]',
    '[]',
    'a%4',
    'a%zz',
    'a\x00',
    'a\x7f',
    'é.example',
    'a"b',
    'a<b',
    'a:80/x',
  ]) {
    assert.equal(validHost(h), false, JSON.stringify(h));
  }
});

test('origin-form targets go with their Host as sent', () => {
  assert.deepEqual(decideTarget('GET', '/a?b=c', ['App.localhost:8080'], true), { host: 'App.localhost:8080', target: '/a?b=c' });
  assert.deepEqual(decideTarget('POST', '//x', ['a'], true), { host: 'a', target: '//x' });
  // HTTP/1.0 needs no Host: routed by none (404 unless a client sends one).
  assert.deepEqual(decideTarget('GET', '/', [], false), { host: '', target: '/' });
});

test('absolute-form targets: routed by their authority, forwarded in origin form (as nginx does)', () => {
  const cases: [string, string, string][] = [
    ['http://attacker.localhost/path', 'attacker.localhost', '/path'],
    ['HTTP://Attacker.localhost:8080/p?q=1', 'Attacker.localhost:8080', '/p?q=1'],
    ['https://attacker.localhost', 'attacker.localhost', '/'],
    ['http://attacker.localhost?q=1', 'attacker.localhost', '/?q=1'],
    ['http://attacker.localhost#f', 'attacker.localhost', '/'],
    ['http://[::1]:80/x', '[::1]:80', '/x'],
  ];
  for (const [target, host, path] of cases) assert.deepEqual(decideTarget('GET', target, ['victim.localhost'], true), { host, target: path }, target);
  // HTTP/1.0 may leave Host out when the target names the host.
  assert.deepEqual(decideTarget('GET', 'http://a.localhost/x', [], false), { host: 'a.localhost', target: '/x' });
});

test('asterisk form only for OPTIONS', () => {
  assert.deepEqual(decideTarget('OPTIONS', '*', ['a'], true), { host: 'a', target: '*' });
  assert.equal((decideTarget('GET', '*', ['a'], true) as { status: number }).status, 400);
});

test('refused requests: status and one sentence each', () => {
  const cases: [string, string, string[], number, RegExp][] = [
    ['CONNECT', 'victim.localhost:443', ['victim.localhost:443'], 405, /not a forward proxy/],
    ['GET', '/', ['a', 'b'], 400, /more than one Host/],
    ['GET', '/', ['a', 'a'], 400, /more than one Host/],
    ['GET', '/', [], 400, /needs a Host/],
    ['GET', '/', [''], 400, /Host header is empty/],
    ['GET', '/', ['victim.localhost:80@evil'], 400, /not a host name/],
    ['GET', '/', ['victim.localhost/x'], 400, /not a host name/],
    ['GET', 'http://attacker.localhost/', ['victim.localhost', 'victim.localhost'], 400, /more than one Host/],
    ['GET', 'http://attacker.localhost/', [], 400, /needs a Host/],
    ['GET', 'victim.localhost:80', ['victim.localhost'], 400, /neither a path/],
    ['GET', 'a', ['victim.localhost'], 400, /neither a path/],
    ['GET', '', ['victim.localhost'], 400, /neither a path/],
    ['GET', 'ftp://attacker.localhost/', ['victim.localhost'], 400, /neither a path/],
    ['GET', 'http:/attacker.localhost/', ['victim.localhost'], 400, /neither a path/],
    ['GET', 'http:///x', ['victim.localhost'], 400, /not name a valid host/],
    ['GET', 'http://user@attacker.localhost/', ['victim.localhost'], 400, /user information/],
    ['GET', 'http://victim.localhost:80@attacker.localhost/', ['victim.localhost'], 400, /user information/],
    ['GET', 'http://a b/', ['victim.localhost'], 400, /not name a valid host/],
    ['GET', 'http://a:x/', ['victim.localhost'], 400, /not name a valid host/],
  ];
  for (const [method, target, hosts, status, reason] of cases) {
    const d = decideTarget(method, target, hosts, true);
    assert.ok('status' in d, `${method} ${target} ${JSON.stringify(hosts)}: ${JSON.stringify(d)}`);
    assert.equal(d.status, status, `${method} ${target}`);
    assert.match(d.reason, reason, `${method} ${target}`);
    assert.ok(/^[A-Z].*\.$/.test(d.reason) && !d.reason.slice(0, -1).includes('. '), `one sentence: ${d.reason}`);
  }
});
