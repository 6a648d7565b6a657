// The web console's browser sessions against the real platform over HTTP (src/api/session.ts, docs/architecture.md
// §8): the cookie's attributes, CSRF refusals (missing token, another origin, cross-site fetch, login CSRF), sign-out
// ending the session server-side, tenant isolation and read-only viewers through a session, the shared log-in
// throttle, and a second viewer following a push's output live (GET /apps/{app}/deploys/live).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPlatform, fixtureRepo, git, type Platform } from '../../helpers/platform.js';
import { until } from '../../helpers/until.js';

let p: Platform;
const PASSWORDS: Record<string, string> = { olga: 'olga-password-1', vic: 'vic-password-1', xena: 'xena-password-1', tom: 'tom-password-1' };
const MAX_FAILURES = 3;

async function api(method: string, path: string, opts: { token?: string; cookie?: string; headers?: Record<string, string>; body?: unknown } = {}) {
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${p.apiUrl}${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const text = await res.text();
  let json: any = text;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, json, text, headers: res.headers };
}

/** Signs in like the console does; returns the cookie to send back and the session's CSRF token. */
async function signIn(name: string, password = PASSWORDS[name]!) {
  const r = await api('POST', '/session', { body: { name, password }, headers: { origin: p.apiUrl } });
  assert.equal(r.status, 201, r.text);
  const setCookie = r.headers.get('set-cookie') ?? '';
  return { cookie: setCookie.split(';')[0]!, csrf: r.json.csrfToken as string, setCookie, body: r.json };
}

before(async () => {
  p = await startPlatform({ YB_LOGIN_MAX_FAILURES: String(MAX_FAILURES) });
  const tokens: Record<string, string> = {};
  for (const [name, password] of Object.entries(PASSWORDS)) {
    const r = await api('POST', '/users', { token: p.token, body: { name, password } });
    assert.equal(r.status, 201, r.text);
    tokens[name] = r.json.token;
  }
  assert.equal((await api('POST', '/teams', { token: tokens.olga, body: { name: 'team-m' } })).status, 201);
  assert.equal((await api('POST', '/teams/team-m/members', { token: tokens.olga, body: { user: 'vic', role: 'viewer' } })).status, 201);
  assert.equal((await api('POST', '/teams', { token: tokens.xena, body: { name: 'team-x' } })).status, 201);
  assert.equal((await api('POST', '/apps', { token: tokens.olga, body: { name: 'm-app', team: 'team-m' } })).status, 201);
  assert.equal((await api('PATCH', '/apps/m-app/config-vars', { token: tokens.olga, body: { SECRET_THING: 'value-1' } })).status, 200);
});

after(async () => {
  await p?.stop();
});

test('signing in sets an HttpOnly SameSite=Strict session cookie and answers a CSRF token, never a credential', async () => {
  const s = await signIn('olga');
  assert.match(s.setCookie, /^yb_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);
  assert.doesNotMatch(s.setCookie, /Secure/, 'plain http: a Secure cookie would never come back');
  assert.deepEqual(Object.keys(s.body).sort(), ['csrfToken', 'expiresAt', 'user']);
  assert.deepEqual(s.body.user, { name: 'olga', admin: false });
  const apps = await api('GET', '/apps', { cookie: s.cookie });
  assert.equal(apps.status, 200);
  assert.deepEqual(
    apps.json.map((a: { name: string }) => a.name),
    ['m-app'],
  );
  const me = await api('GET', '/session', { cookie: s.cookie });
  assert.equal(me.json.csrfToken, s.csrf, 'a reloaded page gets its CSRF token back');
  // The cookie is not an API token, and what etcd keeps is only its hash.
  assert.equal((await api('GET', '/apps', { token: s.cookie.split('=')[1] })).status, 401);
});

test('attack: a cross-site POST with the cookie but without the CSRF token is refused and changes nothing', async () => {
  const s = await signIn('olga');
  const attempts: Array<Record<string, string>> = [
    {}, // a plain form-like POST: no token
    { 'x-csrf-token': 'guessed-token' },
    { 'x-csrf-token': s.csrf, origin: 'http://evil.example' }, // right token, wrong origin
    { 'x-csrf-token': s.csrf, 'sec-fetch-site': 'cross-site' },
  ];
  for (const headers of attempts) {
    const r = await api('PATCH', '/apps/m-app/config-vars', { cookie: s.cookie, headers, body: { SECRET_THING: 'stolen' } });
    assert.equal(r.status, 403, `${JSON.stringify(headers)}: ${r.text}`);
    assert.equal(r.json.id, 'forbidden');
    assert.match(r.json.message, /must come from the console/);
    const d = await api('DELETE', '/apps/m-app', { cookie: s.cookie, headers });
    assert.equal(d.status, 403);
  }
  const cfg = await api('GET', '/apps/m-app/config-vars', { cookie: s.cookie });
  assert.deepEqual(cfg.json, { SECRET_THING: 'value-1' }, 'nothing changed');
  // The console itself (same origin, the session's token) may.
  const ok = await api('PATCH', '/apps/m-app/config-vars', {
    cookie: s.cookie,
    headers: { 'x-csrf-token': s.csrf, origin: p.apiUrl, 'sec-fetch-site': 'same-origin' },
    body: { OTHER: 'x' },
  });
  assert.equal(ok.status, 200, ok.text);
  // Another session's token does not fit this session.
  const other = await signIn('olga');
  const mixed = await api('PATCH', '/apps/m-app/config-vars', { cookie: s.cookie, headers: { 'x-csrf-token': other.csrf }, body: { OTHER: null } });
  assert.equal(mixed.status, 403);
});

test('attack: login CSRF (another site signing the browser in) is refused', async () => {
  const r = await api('POST', '/session', { body: { name: 'olga', password: PASSWORDS.olga }, headers: { origin: 'http://evil.example' } });
  assert.equal(r.status, 403);
  assert.equal(r.headers.get('set-cookie'), null);
});

test('attack: the cookie of a signed-out session is refused everywhere', async () => {
  const s = await signIn('olga');
  const refused = await api('DELETE', '/session', { cookie: s.cookie });
  assert.equal(refused.status, 403, 'sign-out needs the CSRF token too');
  const out = await api('DELETE', '/session', { cookie: s.cookie, headers: { 'x-csrf-token': s.csrf } });
  assert.equal(out.status, 200);
  assert.deepEqual(out.json, { ended: true });
  assert.match(out.headers.get('set-cookie') ?? '', /^yb_session=; .*Max-Age=0/);
  for (const [method, path] of [
    ['GET', '/apps'],
    ['GET', '/session'],
    ['GET', '/apps/m-app/config-vars'],
  ] as const) {
    const r = await api(method, path, { cookie: s.cookie });
    assert.equal(r.status, 401, `${method} ${path}: ${r.text}`);
    assert.equal(r.json.id, 'unauthorized');
  }
  const w = await api('PATCH', '/apps/m-app/config-vars', { cookie: s.cookie, headers: { 'x-csrf-token': s.csrf }, body: { A: 'b' } });
  assert.equal(w.status, 401);
});

test("attack: a session cannot read another team's app (not found, exactly like a missing one); a viewer's session is read-only", async () => {
  const x = await signIn('xena');
  for (const path of ['/apps/m-app', '/apps/m-app/config-vars', '/apps/m-app/releases', '/apps/m-app/logs', '/apps/m-app/deploys/live']) {
    const r = await api('GET', path, { cookie: x.cookie });
    const missing = await api('GET', path.replace('m-app', 'zz-missing'), { cookie: x.cookie });
    assert.equal(r.status, 404, `${path}: ${r.text}`);
    assert.equal(r.json.id, 'app_not_found');
    assert.equal(JSON.stringify(r.json).replace(/m-app/g, 'zz-missing'), JSON.stringify(missing.json));
  }
  const list = await api('GET', '/apps', { cookie: x.cookie });
  assert.deepEqual(list.json, []);
  const v = await signIn('vic');
  const cfg = await api('GET', '/apps/m-app/config-vars', { cookie: v.cookie });
  assert.equal(cfg.json.SECRET_THING, '<hidden>');
  const w = await api('PATCH', '/apps/m-app/config-vars', { cookie: v.cookie, headers: { 'x-csrf-token': v.csrf }, body: { SECRET_THING: 'x' } });
  assert.equal(w.status, 403);
  assert.match(w.json.message, /your role does not allow manage/);
});

test('password sign-ins share the log-in throttle with POST /login (429 with Retry-After, even for the right password)', async () => {
  for (let i = 0; i < MAX_FAILURES - 1; i++) {
    const r = await api('POST', '/session', { body: { name: 'tom', password: `wrong ${i}` } });
    assert.equal(r.status, 401);
    assert.equal(r.json.message, 'wrong user name or password');
  }
  const viaLogin = await fetch(`${p.apiUrl}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'tom', password: 'wrong via login' }),
  });
  assert.equal(viaLogin.status, 401);
  const r = await api('POST', '/session', { body: { name: 'tom', password: PASSWORDS.tom } });
  assert.equal(r.status, 429, r.text);
  assert.equal(r.json.id, 'too_many_requests');
  assert.ok(Number(r.headers.get('retry-after')) > 0);
  assert.equal(r.headers.get('set-cookie'), null);
});

test('an API token signs in too, and revoking that token ends the session', async () => {
  const created = await api('POST', '/tokens', { token: p.token, body: { description: 'console' } });
  const r = await api('POST', '/session', { body: { token: created.json.token } });
  assert.equal(r.status, 201);
  assert.deepEqual(r.json.user, { name: 'admin', admin: true });
  assert.doesNotMatch(JSON.stringify(r.json) + (r.headers.get('set-cookie') ?? ''), new RegExp(created.json.token));
  const cookie = r.headers.get('set-cookie')!.split(';')[0]!;
  assert.equal((await api('GET', '/apps', { cookie })).status, 200);
  assert.equal((await api('DELETE', `/tokens/${created.json.id}`, { token: p.token })).status, 200);
  assert.equal((await api('GET', '/apps', { cookie })).status, 401);
  const bad = await api('POST', '/session', { body: { token: 'yb_neverIssuedTokenNeverIssuedToken0' } });
  assert.equal(bad.status, 401);
  const both = await api('POST', '/session', { body: { name: 'olga', password: 'x', token: 'y' } });
  assert.equal(both.status, 400);
  assert.match(both.json.message, /either a user name and password, or an API token/);
});

test('a second viewer follows a push from a terminal live through GET /apps/{app}/deploys/live', { timeout: 600_000 }, async () => {
  const s = await signIn('olga');
  assert.equal((await api('POST', '/apps', { cookie: s.cookie, headers: { 'x-csrf-token': s.csrf }, body: { name: 'live-app', team: 'team-m' } })).status, 201);
  // Without wait=true and no deploy in progress the stream ends at once.
  const idle = await api('GET', '/apps/live-app/deploys/live', { cookie: s.cookie });
  assert.equal(idle.status, 200);
  assert.equal(idle.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  assert.doesNotMatch(idle.text, /event:/);

  const abort = new AbortController();
  const res = await fetch(`${p.apiUrl}/apps/live-app/deploys/live?wait=true`, { headers: { cookie: s.cookie }, signal: abort.signal });
  assert.equal(res.status, 200);
  let seen = '';
  const reading = (async () => {
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        seen += value;
      }
    } catch {
      // aborted at the end of the test
    }
  })();
  const repo = await fixtureRepo('static-hello', p.dataDir);
  const u = new URL(p.apiUrl);
  const tok = (await api('POST', '/tokens', { cookie: s.cookie, headers: { 'x-csrf-token': s.csrf }, body: {} })).json.token;
  let pushEnded = false;
  const pushing = git(repo, ['push', `http://olga:${tok}@${u.host}/git/live-app.git`, 'main']).finally(() => (pushEnded = true));
  await until('the first build line on the second viewer', () => seen.includes('event: line'), 120_000);
  assert.equal(pushEnded, false, 'lines reach the second viewer while the push is still running, not only at its end');
  const push = await pushing;
  assert.equal(push.code, 0, push.output);
  await until('the end event', () => seen.includes('event: end'), 30_000);
  abort.abort();
  await reading;
  assert.match(seen, /event: start/);
  assert.match(seen, /v1 is live at/);
  assert.match(seen, /"ok":true/);
  assert.match(push.output, /remote: .*v1 is live at/, 'the pusher still gets its own output');
});
