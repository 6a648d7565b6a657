// Issue #6 authorisation matrix against the real platform: every route of /openapi.json × {no token, bad token,
// revoked token, viewer of the app's team, member of another team}. Expect 401 / 403 / 404 as fits — another
// team's app answers exactly like a missing one — and the stored state unchanged after every call. A viewer's
// allowed reads never show a secret value (issue #14).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPlatform, type Platform } from '../../helpers/platform.js';
import { makeKey, rawEtcd } from './as-user.js';

let p: Platform;
const tok: Record<string, string> = {};
let ownerTokenId = '';
let ownerKey = '';

type Identity = 'none' | 'bad' | 'revoked' | 'viewer' | 'other';
const IDENTITIES: Identity[] = ['none', 'bad', 'revoked', 'viewer', 'other'];
const CALLER: Record<Identity, string | null> = { none: null, bad: null, revoked: null, viewer: 'vic', other: 'xena' };

async function api(method: string, path: string, token: string | null, body?: unknown): Promise<{ status: number; json: any }> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${p.apiUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    // plain text
  }
  return { status: res.status, json };
}

async function must(method: string, path: string, token: string, body?: unknown): Promise<any> {
  const r = await api(method, path, token, body);
  assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

before(async () => {
  p = await startPlatform();
  tok.admin = p.token;
  for (const u of ['olga', 'vic', 'xena']) tok[u] = (await must('POST', '/users', p.token, { name: u })).token;
  await must('POST', '/teams', tok.olga!, { name: 'team-m' });
  await must('POST', '/teams/team-m/members', tok.olga!, { user: 'vic', role: 'viewer' });
  await must('POST', '/teams', tok.xena!, { name: 'team-x' });
  await must('POST', '/apps', tok.olga!, { name: 'm-app', team: 'team-m' });
  await must('PATCH', '/apps/m-app/config-vars', tok.olga!, { SECRET_THING: 'value-1' });
  await must('POST', '/pipelines', tok.olga!, { name: 'm-pipe', team: 'team-m' });
  await must('PUT', '/pipelines/m-pipe/apps/m-app', tok.olga!, { stage: 'staging' });
  const revoked = await must('POST', '/tokens', tok.olga!, { description: 'to revoke' });
  await must('DELETE', `/tokens/${revoked.id}`, tok.olga!);
  tok.revoked = revoked.token;
  tok.bad = 'yb_thisTokenWasNeverIssuedByThePlatform00';
  ownerTokenId = ((await must('GET', '/tokens', tok.olga!)) as Array<{ id: string }>)[0]!.id;
  const dir = mkdtempSync(join(p.dataDir, 'keys-'));
  ownerKey = (await must('POST', '/keys', tok.olga!, { publicKey: readFileSync(`${makeKey(dir, 'olga')}.pub`, 'utf8') })).fingerprint;
  tok.freshKey = readFileSync(`${makeKey(dir, 'fresh')}.pub`, 'utf8');
});

after(async () => {
  await p?.stop();
});

function tokenOf(id: Identity): string | null {
  return id === 'none' ? null : id === 'viewer' ? tok.vic! : id === 'other' ? tok.xena! : tok[id]!;
}

/** Concrete path for an OpenAPI path template, aimed at team-m's resources. */
function fill(path: string, app = 'm-app'): string {
  return path
    .replace('{app}', app)
    .replace('{team}', 'team-m')
    .replace('{pipeline}', 'm-pipe')
    .replace('{user}', 'olga')
    .replace('{version}', '1')
    .replace('{id}', path.startsWith('/tokens') ? ownerTokenId : 'b1')
    .replace('{key}', encodeURIComponent(ownerKey))
    .replace(/\{[a-zA-Z]+\}/g, 'x1');
}

/** A valid body for each known route (so the answer is about authorisation, not validation). */
function bodyFor(method: string, path: string, schema: any, caller: string | null): unknown {
  const known: Record<string, unknown> = {
    'post /apps': { name: 'm-new', team: 'team-m' },
    'patch /apps/{app}/config-vars': { SECRET_THING: 'changed', NEW: 'x' },
    'post /apps/{app}/releases': { release: 1 },
    'patch /apps/{app}/formation': { updates: [{ type: 'web', quantity: 3 }] },
    'post /apps/{app}/rename': { name: 'm-renamed' },
    'put /apps/{app}/autoscale/{type}': { min: 1, max: 3, p95Ms: 300 },
    'post /teams': { name: `t-${caller ?? 'anon'}` },
    'post /teams/{team}/members': { user: caller ?? 'vic', role: 'owner' },
    'patch /teams/{team}/members/{user}': { role: 'viewer' },
    'post /users': { name: 'mallory', admin: true },
    'post /tokens': { description: 'mine' },
    'post /keys': { publicKey: tok.freshKey },
    'put /account/password': { password: 'a new password' },
  };
  const k = `${method} ${path}`;
  if (k in known) return known[k];
  return schema ? example(schema) : undefined;
}

/** Minimal instance of a JSON schema (required properties only) for routes this test does not know yet. */
function example(s: any): unknown {
  if (s.enum) return s.enum[0];
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  if (type === 'object') return Object.fromEntries((s.required ?? []).map((r: string) => [r, example(s.properties?.[r] ?? { type: 'string' })]));
  if (type === 'array') return s.minItems ? [example(s.items ?? { type: 'string' })] : [];
  if (type === 'integer' || type === 'number') return s.minimum ?? 1;
  if (type === 'boolean') return false;
  return 'x1';
}

/** Stored state that no refused call may change: everything except audit events, router/endpoint liveness, the cron runner's clock and the caller's own records. */
async function snapshot(caller: string | null): Promise<string> {
  const all = await rawEtcd(p, '');
  const keep = Object.entries(all).filter(([k, v]) => {
    const rel = k.slice('/yunbang/'.length);
    if (/^(events|routers|endpoints|locks)\//.test(rel) || rel === 'cron-clock') return false;
    if (caller && (rel === `credentials/${caller}` || rel === `teams/t-${caller}`)) return false;
    if (caller && /^(tokens|keys)\//.test(rel) && (JSON.parse(v) as { user?: string }).user === caller) return false;
    return true;
  });
  return JSON.stringify(keep.sort(([a], [b]) => a.localeCompare(b))) + readFileSync(join(p.dataDir, 'secret.key'), 'utf8');
}

type Expect = { status: number[]; id?: string; leakCheck?: boolean };

/** Routes whose rules this test knows; others' routes (services, domains, …) are held to: 401 without a valid token, no 5xx, no change, no existence leak. */
const KNOWN = /^\/(apps|teams|users|admin|tokens|keys|account|events)(\/|$)/;

function expectation(method: string, path: string, who: Identity): Expect | 'allowed' {
  if (who === 'none' || who === 'bad' || who === 'revoked') return { status: [401], id: 'unauthorized' };
  const read = method === 'get';
  if (!KNOWN.test(path)) return { status: read ? [200, 403, 404] : [400, 403, 404, 409, 422], leakCheck: path.includes('{app}') && who === 'other' };
  if (path === '/events') return who === 'other' ? { status: [404], id: 'app_not_found', leakCheck: true } : 'allowed';
  if (path.startsWith('/apps/{app}'))
    return who === 'other' ? { status: [404], id: 'app_not_found', leakCheck: true } : read ? 'allowed' : { status: [403], id: 'forbidden' };
  if (path.startsWith('/teams/{team}')) return who === 'other' ? { status: [404], id: 'not_found' } : read ? 'allowed' : { status: [403], id: 'forbidden' };
  if (path.startsWith('/users') || path.startsWith('/admin/')) return { status: [403], id: 'forbidden' };
  // Third-party template catalogues: any user lists them, only administrators change them (docs/architecture.md §5.3).
  if (path.startsWith('/templates/catalogues')) return read ? 'allowed' : { status: [403], id: 'forbidden' };
  if (method === 'post' && path === '/apps') return { status: [403], id: 'forbidden' };
  if (path === '/tokens/{id}' || path === '/keys/{key}') return { status: [404], id: 'not_found' };
  return 'allowed'; // the caller's own things: account, tokens, keys, teams list/create, events, app list
}

test('every route × {no token, bad token, revoked token, viewer, member of another team}', async () => {
  const doc = (await (await fetch(`${p.apiUrl}/openapi.json`)).json()) as { paths: Record<string, Record<string, any>> };
  const PUBLIC = new Set(['/healthz', '/openapi.json', '/login', '/session', '/hooks/{app}/{id}']); // /session: the console's sign-in (test/integration/security/console-session.test.ts); /hooks: webhook deliveries, signed instead (test/integration/platform/webhooks.test.ts)
  const checked: string[] = [];
  const failures: string[] = [];
  let routes = 0;
  for (const [path, ops] of Object.entries(doc.paths)) {
    if (PUBLIC.has(path)) continue;
    for (const [method, op] of Object.entries(ops)) {
      routes++;
      for (const who of IDENTITIES) {
        const caller = CALLER[who];
        const schema = op.requestBody?.content?.['application/json']?.schema;
        const body = bodyFor(method, path, schema, caller);
        let url = fill(path);
        if (path === '/events') url += '?app=m-app';
        const before = await snapshot(caller);
        const r = await api(method.toUpperCase(), url, tokenOf(who), body);
        const exp = expectation(method, path, who);
        const label = `${method.toUpperCase()} ${url} as ${who}: ${r.status} ${JSON.stringify(r.json).slice(0, 160)}`;
        checked.push(label);
        if (r.status >= 500) failures.push(`5xx: ${label}`);
        if (exp === 'allowed') {
          if ([401, 403].includes(r.status) || r.json?.id === 'app_not_found') failures.push(`expected allowed: ${label}`);
          if (who === 'other' && JSON.stringify(r.json).includes('m-app')) failures.push(`leaks m-app: ${label}`);
          // Issue #14 item 8: a viewer reads names, never secret values (the config var's value here).
          if (who === 'viewer' && JSON.stringify(r.json).includes('value-1')) failures.push(`shows a secret value to a viewer: ${label}`);
        } else {
          if (!exp.status.includes(r.status) || (exp.id && r.json?.id !== exp.id)) failures.push(`expected ${exp.status} ${exp.id}: ${label}`);
          if (exp.leakCheck) {
            const missing = await api(method.toUpperCase(), path === '/events' ? '/events?app=zz-missing' : fill(path, 'zz-missing'), tokenOf(who), body);
            if (
              missing.status !== r.status ||
              missing.json?.id !== r.json?.id ||
              JSON.stringify(missing.json).replace(/zz-missing/g, 'm-app') !== JSON.stringify(r.json)
            ) {
              failures.push(`existence leak: ${label} vs missing app ${missing.status} ${JSON.stringify(missing.json)}`);
            }
          }
        }
        const after = await snapshot(caller);
        if (after !== before) failures.push(`state changed: ${label}`);
      }
    }
  }
  process.stdout.write(`# matrix: ${routes} routes × ${IDENTITIES.length} identities = ${checked.length} calls checked\n`);
  assert.deepEqual(failures, []);
  assert.ok(routes >= 30, `routes enumerated from /openapi.json: ${routes}`);
  const apps = (await api('GET', '/apps', tok.xena!)).json as Array<{ name: string }>;
  assert.ok(!apps.some((a) => a.name === 'm-app'), "another team's app is not listed");
  const config = (await api('GET', '/apps/m-app/config-vars', tok.olga!)).json as Record<string, string>;
  assert.deepEqual(config, { SECRET_THING: 'value-1' });
  const asViewer = (await api('GET', '/apps/m-app/config-vars', tok.vic!)).json as Record<string, string>;
  assert.deepEqual(asViewer, { SECRET_THING: '<hidden>' }, 'a viewer sees the name with its value hidden');
});

test('public /login: wrong passwords and unknown users get the same 401; bad input 400', async () => {
  const a = await api('POST', '/login', null, { name: 'olga', password: 'not her password' });
  const b = await api('POST', '/login', null, { name: 'nobody-here', password: 'not her password' });
  assert.deepEqual([a.status, a.json], [401, { id: 'unauthorized', message: 'wrong user name or password' }]);
  assert.deepEqual([b.status, b.json], [a.status, a.json]);
  const c = await api('POST', '/login', null, { name: 'olga', password: 'x', admin: true });
  assert.equal(c.status, 400);
});

test('malformed git requests over HTTP and SSH are refused without a 5xx, a crash or a new ref', async () => {
  const auth = `Basic ${Buffer.from(`yb:${tok.olga}`).toString('base64')}`;
  const pack = (s: string) => `application/x-git-${s}-pack-request`;
  const cases: Array<[string, string, Record<string, string>, string | undefined, number[]]> = [
    [
      'POST',
      '/git/m-app.git/git-receive-pack',
      { authorization: auth, 'content-type': pack('receive'), 'content-encoding': 'gzip' },
      'this is not gzip',
      [200],
    ],
    ['POST', '/git/m-app.git/git-receive-pack', { authorization: auth, 'content-type': pack('receive') }, '00ffgarbage', [200]],
    ['POST', '/git/m-app.git/git-upload-pack', { authorization: auth, 'content-type': pack('upload') }, 'garbage\n0000', [200]],
    ['POST', '/git/m-app.git/git-receive-pack', { authorization: auth, 'content-type': 'text/plain' }, 'x', [415]],
    ['POST', '/git/m-app.git/git-receive-pack', { 'content-type': pack('receive') }, '0000', [401]],
    ['GET', '/git/m-app.git/info/refs?service=git-upload-archive', { authorization: auth }, undefined, [403]],
    ['GET', '/git/..%2F..%2Fetc.git/info/refs?service=git-upload-pack', { authorization: auth }, undefined, [404]],
    ['GET', `/git/${'a'.repeat(300)}.git/info/refs?service=git-upload-pack`, { authorization: auth }, undefined, [400, 404]],
  ];
  for (const [method, path, headers, body, want] of cases) {
    const res = await fetch(`${p.apiUrl}${path}`, { method, headers, body });
    await res.arrayBuffer();
    assert.ok(want.includes(res.status), `${method} ${path.slice(0, 60)}: ${res.status}`);
    assert.equal(p.child.exitCode, null, `ybd survived ${method} ${path.slice(0, 60)}`);
  }
  const { createConnection } = await import('node:net');
  const [host, port] = p.env.YB_SSH_ADDR!.split(':');
  await new Promise<void>((resolve) => {
    const s = createConnection({ host, port: Number(port) }, () => s.end('SSH-2.0-garbage\r\n\x00\x01\x02 not a key exchange\r\n'));
    s.on('error', () => resolve());
    s.on('close', () => resolve());
    s.resume();
  });
  assert.equal(p.child.exitCode, null, 'ybd survived a garbage SSH connection');
  const refs = (await rawEtcd(p, 'apps/m-app')) as Record<string, string>;
  assert.ok(
    Object.keys(refs).every((k) => !k.includes('/releases/')),
    'no release was made',
  );
  assert.equal((await fetch(`${p.apiUrl}/healthz`)).status, 200);
});
