// POST /login against the real platform: failed log-ins are throttled per user name + client IP and per IP with
// 429 + Retry-After (even for the right password), a success resets its name+IP counter, other names keep
// working, the CLI says when to try again, and failures are audited once per window without the password.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { startPlatform, type Platform } from '../../helpers/platform.js';
import { ybAs, rawEtcd } from './as-user.js';

let p: Platform;
const PER_NAME = 10; // the default YB_LOGIN_MAX_FAILURES
const PER_IP = 40;
const PASSWORDS: Record<string, string> = { dave: 'dave-right-password', erin: 'erin-right-password', frank: 'frank-right-password' };

before(async () => {
  p = await startPlatform({ YB_LOGIN_MAX_FAILURES_PER_IP: String(PER_IP) });
  for (const [name, password] of Object.entries(PASSWORDS)) {
    const r = await fetch(`${p.apiUrl}/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${p.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name, password }),
    });
    assert.equal(r.status, 201, await r.text());
  }
});

after(async () => {
  await p?.stop();
});

async function login(name: string, password: string, headers: Record<string, string> = {}) {
  const r = await fetch(`${p.apiUrl}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ name, password }),
  });
  return { status: r.status, retryAfter: r.headers.get('retry-after'), json: (await r.json()) as { id?: string; message?: string; token?: string } };
}

let failures = 0; // failed attempts made from 127.0.0.1 so far (the per-IP count)

async function failUntilThrottled(name: string, max: number): Promise<number> {
  for (let i = 1; i <= max + 1; i++) {
    const r = await login(name, `wrong guess ${i}`);
    if (r.status === 429) return i - 1;
    assert.equal(r.status, 401, JSON.stringify(r.json));
    assert.equal(r.retryAfter, null);
    failures++;
  }
  assert.fail(`${name} was not throttled after ${max + 1} attempts`);
}

test('a successful log-in resets the name+IP counter', async () => {
  for (let i = 0; i < PER_NAME - 1; i++, failures++) assert.equal((await login('frank', `wrong ${i}`)).status, 401);
  assert.equal((await login('frank', PASSWORDS.frank!)).status, 201);
  assert.equal(await failUntilThrottled('frank', PER_NAME), PER_NAME, 'after the reset a full allowance of failures again');
});

test('hammering one name with wrong passwords ends in 429 with Retry-After; then even the right password is refused', async () => {
  assert.equal(await failUntilThrottled('dave', PER_NAME), PER_NAME);
  const r = await login('dave', 'yet another guess');
  assert.equal(r.status, 429);
  assert.equal(r.json.id, 'too_many_requests');
  assert.match(r.json.message!, /^too many failed log-ins as "dave" from 127\.0\.0\.1; try again in 15 min$/);
  const seconds = Number(r.retryAfter);
  assert.ok(Number.isInteger(seconds) && seconds > 850 && seconds <= 900, `Retry-After: ${r.retryAfter}`);
  const right = await login('dave', PASSWORDS.dave!);
  assert.equal(right.status, 429, 'the right password is refused too while throttled');
  assert.equal(right.json.token, undefined);
  const spoofed = await login('dave', PASSWORDS.dave!, { 'x-forwarded-for': '198.51.100.7' });
  assert.equal(spoofed.status, 429, 'X-Forwarded-For is not believed unless YB_API_TRUSTED_PROXIES says so');
  assert.match(spoofed.json.message!, /from 127\.0\.0\.1;/);
});

test('another user name from the same IP still logs in; the CLI explains the 429 with the time to retry', async () => {
  const ok = await login('erin', PASSWORDS.erin!);
  assert.equal(ok.status, 201, JSON.stringify(ok.json));
  assert.match(ok.json.token!, /^yb_/);

  const home = mkdtempSync(join(p.dataDir, 'home-'));
  const cli = await ybAs(p, null, ['login', '-u', 'dave'], { input: `${PASSWORDS.dave}\n`, home });
  assert.equal(cli.code, 7, cli.stderr);
  assert.match(cli.stderr, /error: too many failed log-ins as "dave" from 127\.0\.0\.1; try again in 15 min/);
  assert.match(cli.stderr, /hint: try again after \d\d:\d\d:\d\d \(in \d+ s\)/);
  assert.ok(!cli.stderr.includes(PASSWORDS.dave!));
  const cliErin = await ybAs(p, null, ['login', '-u', 'erin'], { input: `${PASSWORDS.erin}\n`, home });
  assert.equal(cliErin.code, 0, cliErin.stderr);
});

test('failures are audited once per window and name+IP, with the name truncated and no password', async () => {
  const longName = `x${'y'.repeat(60)}`;
  for (let i = 0; i < 2; i++, failures++) assert.equal((await login(longName, 'secret-guess-123')).status, 401);
  const events = Object.values(await rawEtcd(p, 'events/_account/')).map((v) => JSON.parse(v) as { action: string; user: string; ip?: string });
  const failed = events.filter((e) => e.action === 'login.failed');
  // frank: the first failure before and the first after his successful log-in (which started a new count).
  assert.deepEqual(
    failed.map((e) => e.user).sort(),
    ['dave', 'frank', 'frank', longName.slice(0, 32)].sort(),
    'one event per name+IP and window, not per failure',
  );
  assert.ok(failed.every((e) => e.ip === '127.0.0.1'));
  const raw = JSON.stringify(events);
  for (const secret of ['wrong guess', 'secret-guess-123', ...Object.values(PASSWORDS)])
    assert.ok(!raw.includes(secret), `no password in audit events: ${secret}`);
  assert.equal(events.filter((e) => e.action === 'login').length, 3, 'frank, erin and erin (CLI) logged in');
});

test('the per-IP cap refuses every name from that IP once reached', async () => {
  for (let i = 0; failures < PER_IP; i++, failures++) assert.equal((await login(`spray-${i}`, 'guess')).status, 401);
  const r = await login('erin', PASSWORDS.erin!);
  assert.equal(r.status, 429);
  assert.match(r.json.message!, /^too many failed log-ins from 127\.0\.0\.1; try again in \d+ min$/);
  assert.ok(Number(r.retryAfter) > 0);
  assert.equal(p.child.exitCode, null, 'ybd is still running');
});
