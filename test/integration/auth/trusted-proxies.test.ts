// YB_API_TRUSTED_PROXIES: behind a reverse proxy on a trusted address, the client IP of log-in throttling and of
// audit events is the one X-Forwarded-For names, so clients behind one proxy are throttled apart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPlatform, type Platform } from '../../helpers/platform.js';

let p: Platform;

before(async () => {
  p = await startPlatform({ YB_API_TRUSTED_PROXIES: '127.0.0.1, ::1', YB_LOGIN_MAX_FAILURES: '2' });
  const r = await fetch(`${p.apiUrl}/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${p.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'gina', password: 'gina-right-password' }),
  });
  assert.equal(r.status, 201, await r.text());
});

after(async () => {
  await p?.stop();
});

async function login(password: string, client: string) {
  const r = await fetch(`${p.apiUrl}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
    body: JSON.stringify({ name: 'gina', password }),
  });
  return { status: r.status, json: (await r.json()) as { message?: string; token?: string } };
}

test('behind a trusted proxy each forwarded client has its own allowance', async () => {
  assert.equal((await login('wrong 1', '203.0.113.5')).status, 401);
  assert.equal((await login('wrong 2', '203.0.113.5')).status, 401);
  const throttled = await login('gina-right-password', '203.0.113.5');
  assert.equal(throttled.status, 429);
  assert.match(throttled.json.message!, /from 203\.0\.113\.5;/);
  const other = await login('gina-right-password', '203.0.113.6');
  assert.equal(other.status, 201, 'another client behind the same proxy logs in');
  assert.match(other.json.token!, /^yb_/);
});

test('a bad YB_API_TRUSTED_PROXIES stops ybd with a clear message', async () => {
  const { loadConfig, ConfigError } = await import('../../../src/config/load.js');
  assert.throws(
    () => loadConfig({ YB_API_TRUSTED_PROXIES: '10.0.0.0/8, proxy.example' }),
    (err: unknown) =>
      err instanceof ConfigError &&
      /YB_API_TRUSTED_PROXIES=.* must be IP addresses or CIDR ranges, comma-separated \("proxy\.example" is not\)/.test(err.message),
  );
});
