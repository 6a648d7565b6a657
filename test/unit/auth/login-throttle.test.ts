import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoginThrottle, formatWait, type Admitted } from '../../../src/auth/login-throttle.js';
import { retryHint } from '../../../src/cli/client.js';

const MIN = 60_000;

function clocked(opts: Partial<ConstructorParameters<typeof LoginThrottle>[0]> = {}) {
  const clock = { t: 1_000_000 };
  const throttle = new LoginThrottle({ maxFailures: 3, maxFailuresPerIp: 5, windowMs: 15 * MIN, now: () => clock.t, ...opts });
  const fail = (name: string, ip: string) => {
    const a = throttle.attempt(name, ip);
    assert.ok(a.ok, `${name}@${ip} should be admitted`);
    return throttle.failed(name, ip);
  };
  return { clock, throttle, fail };
}

test('the limit per name+IP: the next attempt is refused with the time until the oldest failure leaves the window', () => {
  const { clock, throttle, fail } = clocked();
  fail('dave', '10.0.0.1');
  clock.t += 5 * MIN;
  fail('dave', '10.0.0.1');
  fail('dave', '10.0.0.1');
  const r = throttle.attempt('dave', '10.0.0.1');
  assert.deepEqual(r, { ok: false, retryAfterSeconds: 10 * 60, scope: 'user' });
  clock.t += 10 * MIN - 1000;
  assert.deepEqual(throttle.attempt('dave', '10.0.0.1'), { ok: false, retryAfterSeconds: 1, scope: 'user' });
  clock.t += 1000; // the first failure has left the sliding window: one more guess is allowed, no more
  assert.ok(throttle.attempt('dave', '10.0.0.1').ok);
  assert.equal(throttle.attempt('dave', '10.0.0.1').ok, false);
});

test('refused attempts are not counted: waiting out Retry-After is enough', () => {
  const { clock, throttle, fail } = clocked();
  for (let i = 0; i < 3; i++) fail('dave', '10.0.0.1');
  for (let i = 0; i < 50; i++) assert.equal(throttle.attempt('dave', '10.0.0.1').ok, false);
  clock.t += 15 * MIN;
  assert.ok(throttle.attempt('dave', '10.0.0.1').ok);
});

test('other names and other IPs are not affected by one name+IP being throttled', () => {
  const { throttle, fail } = clocked();
  for (let i = 0; i < 3; i++) fail('dave', '10.0.0.1');
  assert.equal(throttle.attempt('dave', '10.0.0.1').ok, false);
  assert.ok(throttle.attempt('erin', '10.0.0.1').ok);
  assert.ok(throttle.attempt('dave', '10.0.0.2').ok);
});

test('the per-IP cap counts every name from that IP and refuses even a name with no failures', () => {
  const { throttle, fail } = clocked();
  for (const n of ['a1', 'a2', 'a3', 'a4', 'a5']) fail(n, '10.0.0.9');
  const r = throttle.attempt('fresh', '10.0.0.9');
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.scope, 'ip');
  assert.ok(throttle.attempt('fresh', '10.0.0.10').ok, 'another IP is not affected');
});

test('a success resets its name+IP counter and is not held against the IP', () => {
  const { throttle, fail } = clocked();
  fail('dave', '10.0.0.1');
  fail('dave', '10.0.0.1');
  const ok = throttle.attempt('dave', '10.0.0.1') as Admitted;
  throttle.succeeded('dave', '10.0.0.1', ok);
  for (let i = 0; i < 3; i++) assert.ok(throttle.attempt('dave', '10.0.0.1').ok, `attempt ${i} after the reset`);
  // IP: 2 failures + 3 new attempts = 5 (the successful one was taken back), so the IP is now at its cap.
  assert.equal(throttle.attempt('other', '10.0.0.1').ok, false);
});

test('concurrent attempts count before their outcome is known: no burst beyond the limit', () => {
  const { throttle } = clocked();
  const admitted = Array.from({ length: 10 }, () => throttle.attempt('dave', '10.0.0.1')).filter((a) => a.ok);
  assert.equal(admitted.length, 3);
});

test('only the first failure per window and name+IP is to be audited', () => {
  const { clock, throttle, fail } = clocked({ maxFailures: 10, maxFailuresPerIp: 100 });
  assert.equal(fail('dave', '10.0.0.1'), true);
  assert.equal(fail('dave', '10.0.0.1'), false);
  assert.equal(fail('dave', '10.0.0.1'), false);
  assert.equal(fail('erin', '10.0.0.1'), true);
  assert.equal(fail('dave', '10.0.0.2'), true);
  clock.t += 15 * MIN;
  assert.equal(fail('dave', '10.0.0.1'), true, 'a new window audits again');
  assert.equal(throttle.failed('never-attempted', '10.0.0.1'), false);
});

test('memory is bounded: beyond maxKeys the least recently failed keys are forgotten; expired ones go on access', () => {
  const { clock, throttle, fail } = clocked({ maxKeys: 100, maxFailuresPerIp: 1000 });
  for (let i = 0; i < 1000; i++) fail(`u${i}`, `10.0.${i % 250}.${i}`);
  assert.deepEqual(throttle.tracked, { user: 100, ip: 100 });
  fail('u999', '10.0.249.999'); // the most recent key stays: with the loop's one, 3 failures
  fail('u999', '10.0.249.999');
  assert.deepEqual(throttle.tracked, { user: 100, ip: 100 });
  assert.equal(throttle.attempt('u999', '10.0.249.999').ok, false);
  clock.t += 16 * MIN;
  assert.ok(throttle.attempt('u999', '10.0.249.999').ok);
});

test('waits and Retry-After hints read well', () => {
  assert.equal(formatWait(1), '1 s');
  assert.equal(formatWait(59), '59 s');
  assert.equal(formatWait(60), '1 min');
  assert.equal(formatWait(899), '15 min');
  const now = new Date(2024, 0, 1, 12, 0, 0);
  assert.equal(retryHint('900', now), 'try again after 12:15:00 (in 900 s)');
  assert.equal(retryHint(new Date(2024, 0, 1, 12, 1, 0).toUTCString(), now), 'try again after 12:01:00 (in 60 s)');
  assert.equal(retryHint(null, now), undefined);
  assert.equal(retryHint('soon', now), undefined);
});
