// Issue #2 end to end against the real thing: ybd (embedded etcd + router process), Docker, git over HTTP.
// create app (CLI) → git push (build streamed as remote: lines) → served through the router → config:set makes
// v2 → second push → failed push rejected while the previous release keeps serving.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPlatform, fixtureRepo, git, commitAll, ROOT, type Platform } from '../../helpers/platform.js';

let p: Platform;
let repo: string;
const expected = readFileSync(join(ROOT, 'test/fixtures/apps/node-hello/EXPECTED'), 'utf8').trim();

before(async () => {
  p = await startPlatform();
  repo = await fixtureRepo('node-hello', p.dataDir);
});

after(async () => {
  await p?.stop();
});

function pushUrl(app: string): string {
  const u = new URL(p.apiUrl);
  return `http://yb:${p.token}@${u.host}/git/${app}.git`;
}

test('apps:create makes the app and routes its default host', async () => {
  const r = await p.yb(['apps:create', 'hello'], { cwd: repo });
  assert.match(r.stdout, /Created hello/);
  const list = JSON.parse((await p.yb(['apps', '--json'])).stdout) as Array<{ name: string }>;
  assert.deepEqual(
    list.map((a) => a.name),
    ['hello'],
  );
  const before = await p.fetchApp('hello.localhost');
  assert.equal(before.status, 503, 'an app without a release answers 503 through the router');
});

test('git push builds with the Node.js buildpack, streams remote: lines and serves through the router', async () => {
  const push = await git(repo, ['push', pushUrl('hello'), 'main']);
  assert.equal(push.code, 0, push.output);
  assert.match(push.output, /remote: -----> Node\.js app detected/);
  assert.match(push.output, /remote: .*Installing dependencies/);
  assert.match(push.output, /remote: -----> v1 is live/);
  const res = await p.fetchApp('hello.localhost');
  assert.equal(res.status, 200);
  assert.equal(res.body, expected);
  const rel = JSON.parse((await p.yb(['releases', '-a', 'hello', '--json'])).stdout) as Array<{ version: number; status: string; current: boolean }>;
  assert.deepEqual(
    rel.map((r) => [r.version, r.status, r.current]),
    [[1, 'succeeded', true]],
  );
});

test('config:set makes release v2 and the app serves the new value', async () => {
  await p.yb(['config:set', 'GREETING=from-v2', '-a', 'hello']);
  const res = await p.fetchApp('hello.localhost');
  assert.equal(res.body, 'hello from yunbang from-v2');
  const info = JSON.parse((await p.yb(['releases:info', 'v2', '-a', 'hello', '--json'])).stdout) as {
    description: string;
    current: boolean;
    configKeys: string[];
  };
  assert.equal(info.current, true);
  assert.match(info.description, /Set GREETING/);
  assert.deepEqual(info.configKeys, ['GREETING']);
  assert.equal((await p.yb(['config:get', 'GREETING', '-a', 'hello'])).stdout.trim(), 'from-v2');
});

test('a second push makes the next release and the router serves it', async () => {
  const server = join(repo, 'server.js');
  const src = readFileSync(server, 'utf8');
  assert.ok(src.includes('hello from yunbang'), 'fixture greets as expected');
  appendFileSync(server, '\n// second push\n');
  await commitAll(repo, 'second push');
  const push = await git(repo, ['push', pushUrl('hello'), 'main']);
  assert.equal(push.code, 0, push.output);
  assert.match(push.output, /v3 is live/);
  assert.match(push.output, /\(cached\)/, 'the warm build reuses the cached Node.js runtime');
  const res = await p.fetchApp('hello.localhost');
  assert.equal(res.body, 'hello from yunbang from-v2');
  const ps = JSON.parse((await p.yb(['ps', '-a', 'hello', '--json'])).stdout) as Array<{ name: string; release: number; state: string }>;
  assert.deepEqual(
    ps.map((d) => [d.name, d.release, d.state]),
    [['web.1', 3, 'up']],
    'exactly one process of the new release is left',
  );
});

test('a push whose build fails is rejected and the previous release keeps serving', async () => {
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  pkg.scripts.build = 'node -e "process.exit(3)"';
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(repo, 'package.json'), JSON.stringify(pkg, null, 2));
  await commitAll(repo, 'broken build');
  const push = await git(repo, ['push', pushUrl('hello'), 'main']);
  assert.notEqual(push.code, 0, 'git push must fail');
  assert.match(push.output, /remote: .*build script failed/);
  assert.match(push.output, /pre-receive hook declined/);
  const res = await p.fetchApp('hello.localhost');
  assert.equal(res.body, 'hello from yunbang from-v2');
  const rel = JSON.parse((await p.yb(['releases', '-a', 'hello', '--json'])).stdout) as Array<{ version: number }>;
  assert.equal(rel[0]!.version, 3, 'no release was made for the failed build');
});

test('only main or master deploys: other branches are just stored, and the deploy branch cannot be deleted', async () => {
  const other = await git(repo, ['push', pushUrl('hello'), 'HEAD:refs/heads/feature']);
  assert.equal(other.code, 0, other.output);
  assert.match(other.output, /remote: Pushed refs\/heads\/feature; only main or master is deployed\./);
  assert.doesNotMatch(other.output, /is live/);
  const del = await git(repo, ['push', pushUrl('hello'), ':refs/heads/main']);
  assert.notEqual(del.code, 0, del.output);
  assert.match(del.output, /remote: ! Deleting refs\/heads\/main is not allowed: it is the deploy branch\./);
  const res = await p.fetchApp('hello.localhost');
  assert.equal(res.body, 'hello from yunbang from-v2');
});

test('bad input and bad credentials get clear errors and change nothing', async () => {
  const bad = await p.yb(['apps:create', 'Bad_Name'], { allowFail: true });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /not a valid app name/);
  const dup = await p.yb(['apps:create', 'hello'], { allowFail: true });
  assert.equal(dup.code, 5);
  assert.match(dup.stderr, /already exists/);
  const unauth = await fetch(`${p.apiUrl}/apps`, { headers: { authorization: 'Bearer yb_not-a-real-token' } });
  assert.equal(unauth.status, 401);
  assert.equal(((await unauth.json()) as { id: string }).id, 'unauthorized');
  const push = await git(repo, ['push', pushUrl('hello').replace(p.token, 'wrong-token'), 'main']);
  assert.notEqual(push.code, 0);
  const missing = await p.yb(['apps:info', '-a', 'nope'], { allowFail: true });
  assert.equal(missing.code, 4);
  assert.match(missing.stderr, /no app named "nope"/);
});

test('destroying the app removes its containers and route', async () => {
  const refused = await p.yb(['apps:destroy', '-a', 'hello'], { allowFail: true });
  assert.equal(refused.code, 2);
  await p.yb(['apps:destroy', '-a', 'hello', '--confirm', 'hello']);
  const res = await p.fetchApp('hello.localhost');
  assert.equal(res.status, 404);
  assert.deepEqual(await p.probe.processes({ kind: 'process' }), []);
});
