// Pure parts of the console's browser sessions (src/api/session.ts): cookie format and the CSRF rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csrfRefusal, readCookie, sameSecret, sessionCookie, type SessionRecord } from '../../../src/api/session.js';

const session: SessionRecord = { user: 'olga', csrf: 'the-csrf-token', createdAt: '', expiresAt: '', via: 'password' };
const origin = 'http://127.0.0.1:5050';
const req = (method: string, headers: Record<string, string> = {}) => ({ method, headers, origin });

test('the session cookie is HttpOnly, SameSite=Strict, whole-site, Secure only over https', () => {
  const c = sessionCookie('abc', { secure: false, maxAgeSeconds: 3600 });
  assert.equal(c, 'yb_session=abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=3600');
  assert.match(sessionCookie('abc', { secure: true, maxAgeSeconds: 60 }), /; Secure$/);
  assert.match(sessionCookie(null, { secure: false, maxAgeSeconds: 60 }), /^yb_session=; .*Max-Age=0/);
});

test('readCookie finds one cookie among several and nothing in a look-alike name', () => {
  assert.equal(readCookie('a=1; yb_session=xyz; b=2', 'yb_session'), 'xyz');
  assert.equal(readCookie('not_yb_session=xyz', 'yb_session'), null);
  assert.equal(readCookie(undefined, 'yb_session'), null);
});

test('reads need no CSRF token; every other method needs the session one', () => {
  assert.equal(csrfRefusal(req('GET'), session), null);
  assert.equal(csrfRefusal(req('HEAD'), session), null);
  for (const m of ['POST', 'PATCH', 'PUT', 'DELETE']) {
    assert.match(csrfRefusal(req(m), session) ?? '', /X-CSRF-Token/);
    assert.match(csrfRefusal(req(m, { 'x-csrf-token': 'wrong' }), session) ?? '', /X-CSRF-Token/);
    assert.equal(csrfRefusal(req(m, { 'x-csrf-token': 'the-csrf-token' }), session), null);
  }
});

test('another origin or a cross-site fetch is refused even with the right token', () => {
  const ok = { 'x-csrf-token': 'the-csrf-token' };
  assert.match(csrfRefusal(req('POST', { ...ok, origin: 'http://evil.example' }), session) ?? '', /evil\.example/);
  assert.match(csrfRefusal(req('POST', { ...ok, 'sec-fetch-site': 'cross-site' }), session) ?? '', /another site/);
  assert.match(csrfRefusal(req('POST', { ...ok, 'sec-fetch-site': 'same-site' }), session) ?? '', /another site/);
  assert.equal(csrfRefusal(req('POST', { ...ok, origin, 'sec-fetch-site': 'same-origin' }), session), null);
});

test('sameSecret compares whole values', () => {
  assert.ok(sameSecret('abc', 'abc'));
  assert.ok(!sameSecret('abc', 'abd'));
  assert.ok(!sameSecret('abc', 'abcd'));
});
