// Issue #14 item 8 against the real platform: a viewer of a team reads every GET route of /openapi.json for an
// app with secret config vars, a linked attached database and a linked real postgres, a log drain with
// credentials, a buildpack URL with a token, a TLS certificate and a real release, and no secret value appears
// in any response body; a member still sees them; nobody, owner included, reads a TLS private key back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startPlatform, type Platform } from '../../helpers/platform.js';
import { ybAs } from '../auth/as-user.js';
import { createTestPki } from '../router/tls-pki.js';

const run = promisify(execFile);
let p: Platform;
const tok: Record<string, string> = {};
let privateKeyBody = '';

const SECRETS = {
  config: 'cfg-secret-4Yq8Zt',
  service: 'svc-secret-7Hn2Kx',
  drainPassword: 'drain-secret-Pw91',
  drainQuery: 'drain-secret-Qt55',
  buildpack: 'bp-secret-Tk42',
};

async function api(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; text: string; headers: Headers }> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${p.apiUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

async function must(method: string, path: string, token: string, body?: unknown): Promise<any> {
  const r = await api(method, path, token, body);
  assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${r.text}`);
  return r.text ? JSON.parse(r.text) : undefined;
}

before(async () => {
  p = await startPlatform({ YB_OUTBOUND_PRIVATE: 'true' });
  for (const u of ['olga', 'vic', 'mia']) tok[u] = (await must('POST', '/users', p.token, { name: u })).token;
  await must('POST', '/teams', tok.olga!, { name: 'team-s' });
  await must('POST', '/teams/team-s/members', tok.olga!, { user: 'vic', role: 'viewer' });
  await must('POST', '/teams/team-s/members', tok.olga!, { user: 'mia', role: 'member' });
  await must('POST', '/apps', tok.olga!, { name: 's-app', team: 'team-s' });
  await must('PATCH', '/apps/s-app/config-vars', tok.olga!, { DB_PASSWORD: SECRETS.config, PLAIN: 'not-secret-but-hidden' });
  await must('POST', '/services', tok.olga!, { name: 'ext-db', url: `postgres://dbuser:${SECRETS.service}@db.example.com:5432/prod`, team: 'team-s' });
  await must('POST', '/services/ext-db/links', tok.olga!, { app: 's-app' });
  // And one real postgres, linked as PG: its generated password must not reach a viewer either.
  const pg = await must('POST', '/services', tok.olga!, { name: 'pg-real', kind: 'postgres', team: 'team-s' });
  assert.ok(pg.connection.password?.length >= 8, JSON.stringify(pg.connection));
  (SECRETS as Record<string, string>).postgres = pg.connection.password;
  await must('POST', '/services/pg-real/links', tok.olga!, { app: 's-app', as: 'PG' });
  const drain = await must('POST', '/apps/s-app/log-drains', tok.olga!, {
    url: `https://drainuser:${SECRETS.drainPassword}@127.0.0.1:9/logs?token=${SECRETS.drainQuery}`,
  });
  (SECRETS as Record<string, string>).drainToken = drain.token;
  await must('PATCH', '/apps/s-app', tok.olga!, { buildpack: `https://bpuser:${SECRETS.buildpack}@buildpacks.example.com/bp.tgz` });
  // A TLS certificate with its private key: no one, owner included, may read the key back.
  const pki = await createTestPki();
  const leaf = await pki.leaf(['s-app.localhost']);
  pki.close();
  const privateKey = leaf.key;
  privateKeyBody = privateKey
    .split('\n')
    .filter((l) => l && !l.startsWith('-----'))
    .join('')
    .slice(0, 40);
  await must('POST', '/apps/s-app/sni-endpoints', tok.olga!, { certificate: leaf.cert, privateKey });
  // A real release, so that release records (which hold a config snapshot) exist.
  const ctx = join(p.dataDir, 'img');
  mkdirSync(ctx, { recursive: true });
  writeFileSync(
    join(ctx, 'Dockerfile'),
    'FROM yunbang/stack:latest\nRUN echo viewer > /app/greeting\nCOPY server.pl /app/server.pl\nEXPOSE 8000\nCMD ["perl", "/app/server.pl"]\n',
  );
  writeFileSync(join(ctx, 'server.pl'), readFileSync(join(ROOT, 'test/fixtures/apps/dockerfile-args/server.pl')));
  const tag = `${p.instance}/viewer:1`;
  await run('docker', ['build', '-q', '--label', `yunbang.instance=${p.instance}`, '-t', tag, ctx]);
  // Deployed by the platform admin: an image built on the host belongs to no team (image ownership, issue #14 item 3).
  await must('POST', '/apps/s-app/image-deploys', p.token, { image: tag });
});

after(async () => {
  await p?.stop();
});

function leaks(text: string): string[] {
  return Object.entries(SECRETS)
    .filter(([, v]) => text.includes(v))
    .map(([k]) => k);
}

test('a viewer reads every GET route and sees no secret value in any body', async () => {
  const doc = (await (await fetch(`${p.apiUrl}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
  const failures: string[] = [];
  let read = 0;
  for (const [path, ops] of Object.entries(doc.paths)) {
    if (!('get' in ops)) continue;
    const url =
      path
        .replace('{app}', 's-app')
        .replace('{team}', 'team-s')
        .replace('{user}', 'olga')
        .replace('{version}', '1')
        .replace('{name}', 'ext-db')
        .replace(/\{[a-zA-Z]+\}/g, 'x1') + (path === '/events' ? '?app=s-app' : path === '/apps/{app}/logs' ? '?lines=10000' : '');
    const r = await api('GET', url, tok.vic!);
    read++;
    if (r.status >= 500) failures.push(`5xx: GET ${url}`);
    const found = leaks(r.text);
    if (found.length) failures.push(`GET ${url} as viewer shows ${found.join(', ')}: ${r.text.slice(0, 300)}`);
    const asOwner = await api('GET', url, tok.olga!);
    if (/PRIVATE KEY/.test(asOwner.text + r.text) || (asOwner.text + r.text).includes(privateKeyBody)) failures.push(`GET ${url} returns the TLS private key`);
  }
  for (const extra of ['/services/ext-db', '/services/pg-real', '/apps/s-app/releases/v1', '/apps/s-app/logs?lines=10000&format=json']) {
    const r = await api('GET', extra, tok.vic!);
    assert.equal(r.status, 200, `${extra}: ${r.text}`);
    const found = leaks(r.text);
    if (found.length) failures.push(`GET ${extra} as viewer shows ${found.join(', ')}`);
  }
  assert.deepEqual(failures, []);
  assert.ok(read >= 20, `GET routes read: ${read}`);
});

test('config vars: the viewer gets the names with values hidden; a member gets the values', async () => {
  const asViewer = await api('GET', '/apps/s-app/config-vars', tok.vic!);
  const vars = JSON.parse(asViewer.text) as Record<string, string>;
  assert.deepEqual(Object.keys(vars).sort(), [
    'DATABASE_HOST',
    'DATABASE_NAME',
    'DATABASE_PASSWORD',
    'DATABASE_PORT',
    'DATABASE_URL',
    'DATABASE_USER',
    'DB_PASSWORD',
    'PG_HOST',
    'PG_NAME',
    'PG_PASSWORD',
    'PG_PORT',
    'PG_URL',
    'PG_USER',
    'PLAIN',
  ]);
  assert.ok(
    Object.values(vars).every((v) => v === '<hidden>'),
    asViewer.text,
  );
  assert.equal(asViewer.headers.get('x-yb-values-hidden'), 'true');
  const asMember = JSON.parse((await api('GET', '/apps/s-app/config-vars', tok.mia!)).text) as Record<string, string>;
  assert.equal(asMember.DB_PASSWORD, SECRETS.config);
  assert.match(asMember.DATABASE_URL!, new RegExp(SECRETS.service));
  assert.equal(asMember.PG_PASSWORD, (SECRETS as Record<string, string>).postgres);
});

test('drains and the buildpack URL: the viewer sees them without credentials; a member sees them whole', async () => {
  const [drain] = JSON.parse((await api('GET', '/apps/s-app/log-drains', tok.vic!)).text) as Array<{ url: string; token: string }>;
  assert.equal(drain!.url, 'https://***:***@127.0.0.1:9/logs?token=***');
  assert.equal(drain!.token, '<hidden>');
  const [whole] = JSON.parse((await api('GET', '/apps/s-app/log-drains', tok.mia!)).text) as Array<{ url: string; token: string }>;
  assert.match(whole!.url, new RegExp(SECRETS.drainPassword));
  const app = JSON.parse((await api('GET', '/apps/s-app', tok.vic!)).text) as { buildpack: string };
  assert.equal(app.buildpack, 'https://***:***@buildpacks.example.com/bp.tgz');
  const appAsMember = JSON.parse((await api('GET', '/apps/s-app', tok.mia!)).text) as { buildpack: string };
  assert.match(appAsMember.buildpack, new RegExp(SECRETS.buildpack));
});

test('the CLI: yb config shows the mask and says why; yb config:get refuses a viewer in one sentence', async () => {
  const shown = await ybAs(p, tok.vic!, ['config', '-a', 's-app']);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /DB_PASSWORD:\s+<hidden>/);
  assert.ok(!shown.stdout.includes(SECRETS.config));
  assert.match(shown.stderr, /Values are hidden: your role on s-app \(viewer\) shows config var names only/);
  const got = await ybAs(p, tok.vic!, ['config:get', 'DB_PASSWORD', '-a', 's-app']);
  assert.equal(got.code, 3);
  assert.match(got.stderr, /your role on s-app \(viewer\) shows config var names only, not their values/);
  assert.ok(!got.stdout.includes('<hidden>'));
  const member = await ybAs(p, tok.mia!, ['config:get', 'DB_PASSWORD', '-a', 's-app']);
  assert.equal(member.stdout.trim(), SECRETS.config);
});
