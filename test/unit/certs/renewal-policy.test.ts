// Which certificates are due for automatic renewal (issue #5: ACME certificates renew before they expire) and what
// `yb certs` is told about it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dueForRenewal, renewalDueFrom, renewalStateKey, renewalView } from '../../../src/certs/renewal-policy.js';

const DAY = 86_400_000;
const now = Date.parse('2025-06-01T00:00:00Z');
const cert = (hostname: string, source: 'acme' | 'manual', daysLeft: number) => ({ hostname, source, notAfter: new Date(now + daysLeft * DAY).toISOString() });

test('ACME certificates within the window are due; later ones and uploaded ones are not', () => {
  const records = [cert('soon', 'acme', 10), cert('edge', 'acme', 30), cert('later', 'acme', 30.5), cert('expired', 'acme', -2), cert('mine', 'manual', 1)];
  assert.deepEqual(
    dueForRenewal(records, now, 30).map((r) => r.hostname),
    ['soon', 'edge', 'expired'],
  );
  assert.deepEqual(
    dueForRenewal(records, now, 0).map((r) => r.hostname),
    ['expired'],
    'a window of 0 renews only expired ones',
  );
});

test('an unreadable expiry counts as due rather than never renewing', () => {
  assert.deepEqual(
    dueForRenewal([{ hostname: 'x', source: 'acme' as const, notAfter: 'garbage' }], now, 30).map((r) => r.hostname),
    ['x'],
  );
});

test('the window starts withinDays before expiry', () => {
  assert.equal(renewalDueFrom('2025-07-01T00:00:00.000Z', 30).toISOString(), '2025-06-01T00:00:00.000Z');
});

test('the view says who renews and shows the last failure until a success', () => {
  const acme = cert('a', 'acme', 60);
  assert.deepEqual(renewalView(cert('m', 'manual', 60), 30), { auto: false });
  assert.deepEqual(renewalView(acme, 30), { auto: true, dueFrom: new Date(now + 30 * DAY).toISOString() });
  assert.deepEqual(renewalView(acme, 30, { at: 't2', renewedAt: 't1', error: 'connection refused' }), {
    auto: true,
    dueFrom: new Date(now + 30 * DAY).toISOString(),
    renewedAt: 't1',
    lastError: 'connection refused',
    lastAttemptAt: 't2',
  });
  assert.deepEqual(renewalView(acme, 30, { at: 't3', renewedAt: 't3' }), { auto: true, dueFrom: new Date(now + 30 * DAY).toISOString(), renewedAt: 't3' });
});

test('renewal states live outside certs/ (the routers watch that)', () => {
  assert.equal(renewalStateKey('/yb/', 'a.example.com'), '/yb/acme-renewal/a.example.com');
});
