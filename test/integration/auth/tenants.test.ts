// Issue #6 against the real platform: users, teams and roles through the CLI; git over SSH (push deploys and
// streams remote: lines, fetch works) and over HTTP, refused for other teams; processes of one team cannot
// reach another team's (on the test run's backend); config encrypted at rest and rotatable; audit events; no secrets in logs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startPlatform, fixtureRepo, git, type Platform } from '../../helpers/platform.js';
import { ybAs, makeKey, sshEnv, sshUrl, httpUrl, rawEtcd } from './as-user.js';

const run = promisify(execFile);
let p: Platform;
let repo: string;
const tokens: Record<string, string> = {};
const keys: Record<string, string> = {};
const SECRET = 'sekrit-Value-42';

before(async () => {
  p = await startPlatform();
  repo = await fixtureRepo('node-zero', p.dataDir);
});

after(async () => {
  await p?.stop();
});

async function ok(user: string, args: string[], input?: string) {
  const r = await ybAs(p, tokens[user] ?? null, args, { input });
  assert.equal(r.code, 0, `yb ${args.join(' ')} as ${user}: ${r.stdout}${r.stderr}`);
  return r;
}

test('an admin creates users (token printed once); users create teams and manage members', async () => {
  tokens.admin = p.token;
  for (const u of ['alice', 'bob', 'carol']) {
    const r = await ok('admin', ['users:create', u]);
    tokens[u] = r.stdout.trim();
    assert.match(tokens[u]!, /^yb_/);
    assert.match(r.stderr, /shown only this once/);
  }
  const list = JSON.parse((await ok('alice', ['tokens', '--json'])).stdout) as Array<{ id: string }>;
  assert.equal(list.length, 1);
  assert.ok(!JSON.stringify(list).includes(tokens.alice!), 'the token itself is never listed');
  const notAdmin = await ybAs(p, tokens.alice!, ['users:create', 'mallory']);
  assert.equal(notAdmin.code, 3);
  assert.match(notAdmin.stderr, /only platform administrators/);

  await ok('alice', ['teams:create', 'team-a']);
  await ok('bob', ['teams:create', 'team-b']);
  await ok('alice', ['members:add', 'carol', '-t', 'team-a', '--role', 'viewer']);
  const members = JSON.parse((await ok('carol', ['members', '-t', 'team-a', '--json'])).stdout) as Array<{ user: string; role: string }>;
  assert.deepEqual(members, [
    { user: 'alice', role: 'owner' },
    { user: 'carol', role: 'viewer' },
  ]);
  const teams = JSON.parse((await ok('bob', ['teams', '--json'])).stdout) as Array<{ name: string }>;
  assert.deepEqual(
    teams.map((t) => t.name),
    ['team-b'],
    'bob sees only his team',
  );
  const hidden = await ybAs(p, tokens.bob!, ['members', '-t', 'team-a']);
  assert.equal(hidden.code, 4, 'another team is not found, not forbidden');
  const viewerAdds = await ybAs(p, tokens.carol!, ['members:add', 'bob', '-t', 'team-a']);
  assert.equal(viewerAdds.code, 3);
  const badRole = await ybAs(p, tokens.alice!, ['members:set-role', 'carol', '-t', 'team-a', '--role', 'root']);
  assert.equal(badRole.code, 2);
  assert.match(badRole.stderr, /role/);
  const lastOwner = await ybAs(p, tokens.alice!, ['members:remove', 'alice', '-t', 'team-a']);
  assert.equal(lastOwner.code, 5);
  assert.match(lastOwner.stderr, /at least one owner/);
});

test('password log-in gives a token saved in ~/.netrc; a wrong password is refused without echoing it', async () => {
  await ok('admin', ['users:create', 'dave', '--password-stdin'], 'correct horse battery\n');
  const home = mkdtempSync(join(p.dataDir, 'home-'));
  const wrong = await ybAs(p, null, ['login', '-u', 'dave'], { input: 'wrong password 1\n', home });
  assert.equal(wrong.code, 3);
  assert.match(wrong.stderr, /wrong user name or password/);
  assert.ok(!wrong.stderr.includes('wrong password 1'));
  const r = await ybAs(p, null, ['login', '-u', 'dave'], { input: 'correct horse battery\n', home });
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await ybAs(p, null, ['whoami'], { home })).stdout.trim(), 'dave');
  const out = await ybAs(p, null, ['logout'], { home });
  assert.match(out.stdout, /Logged out/);
  assert.equal((await ybAs(p, null, ['whoami'], { home })).code, 3);
});

test('tokens:create and tokens:revoke: a revoked token stops working at once', async () => {
  const created = await ok('alice', ['tokens:create', '-d', 'ci', '--json']);
  const t = JSON.parse(created.stdout) as { id: string; token: string };
  assert.equal((await ybAs(p, t.token, ['whoami'])).stdout.trim(), 'alice');
  const bobRevokes = await ybAs(p, tokens.bob!, ['tokens:revoke', t.id]);
  assert.equal(bobRevokes.code, 4, "bob cannot revoke alice's token");
  await ok('alice', ['tokens:revoke', t.id]);
  const after = await ybAs(p, t.token, ['whoami']);
  assert.equal(after.code, 3);
  assert.match(after.stderr, /not valid/);
});

test('git push over SSH deploys with remote: lines; clone over SSH works; other teams and unknown keys are refused', async () => {
  const dir = mkdtempSync(join(p.dataDir, 'keys-'));
  for (const u of ['alice', 'bob', 'carol', 'nobody']) keys[u] = makeKey(dir, u);
  for (const u of ['alice', 'bob', 'carol']) {
    const r = await ok(u, ['keys:add', `${keys[u]}.pub`]);
    assert.match(r.stdout, /Added key SHA256:/);
  }
  const listed = JSON.parse((await ok('alice', ['keys', '--json'])).stdout) as Array<{ comment: string }>;
  assert.deepEqual(
    listed.map((k) => k.comment),
    ['alice@test'],
  );
  const priv = await ybAs(p, tokens.alice!, ['keys:add', keys.alice!]);
  assert.equal(priv.code, 2);
  assert.match(priv.stderr, /private key/);

  await ok('alice', ['apps:create', 'a-one', '--team', 'team-a', '--no-remote']);
  const push = await git(repo, ['push', sshUrl(p, 'a-one'), 'main'], sshEnv(keys.alice!));
  assert.equal(push.code, 0, push.output);
  assert.match(push.output, /remote: -----> Node\.js app detected/);
  assert.match(push.output, /remote: -----> v1 is live/);
  assert.equal((await p.fetchApp('a-one.localhost')).body, 'ok v1');

  const clone = await git(p.dataDir, ['clone', '-q', sshUrl(p, 'a-one'), join(p.dataDir, 'clone-carol')], sshEnv(keys.carol!));
  assert.equal(clone.code, 0, `a viewer may fetch: ${clone.output}`);
  const viewerPush = await git(repo, ['push', sshUrl(p, 'a-one'), 'main:refs/heads/other'], sshEnv(keys.carol!));
  assert.notEqual(viewerPush.code, 0, 'a viewer may not push');
  assert.match(viewerPush.output, /not found/);

  for (const args of [
    ['push', sshUrl(p, 'a-one'), 'main:refs/heads/x'],
    ['clone', '-q', sshUrl(p, 'a-one'), join(p.dataDir, 'clone-bob')],
  ]) {
    const r = await git(repo, args, sshEnv(keys.bob!));
    assert.notEqual(r.code, 0, `bob (team-b): git ${args[0]} must fail`);
    assert.match(r.output, /repository 'a-one\.git' not found/);
  }
  const missing = await git(repo, ['push', sshUrl(p, 'no-such-app'), 'main'], sshEnv(keys.bob!));
  assert.match(missing.output, /repository 'no-such-app\.git' not found/, 'same answer for missing and foreign apps');
  const unknown = await git(repo, ['push', sshUrl(p, 'a-one'), 'main'], sshEnv(keys.nobody!));
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.output, /Permission denied \(publickey\)/);
  const shell = await run('ssh', [
    '-i',
    keys.alice!,
    '-p',
    p.env.YB_SSH_ADDR!.split(':')[1]!,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'LogLevel=ERROR',
    'git@127.0.0.1',
    'cat /etc/passwd',
  ]).catch((e: { code: number; stderr: string }) => e);
  assert.notEqual((shell as { code: number }).code, 0);
  assert.match((shell as { stderr: string }).stderr, /only git-receive-pack and git-upload-pack/);

  await ok('bob', ['keys:remove', 'bob@test']);
  const removed = await git(repo, ['ls-remote', sshUrl(p, 'a-one')], sshEnv(keys.bob!));
  assert.match(removed.output, /Permission denied/);
});

test("git over HTTP: another team's member cannot push or fetch", async () => {
  await ok('alice', ['apps:create', 'a-two', '--team', 'team-a', '--no-remote']);
  await ok('bob', ['apps:create', 'b-one', '--team', 'team-b', '--no-remote']);
  const pushA = await git(repo, ['push', httpUrl(p, tokens.alice!, 'a-two'), 'main']);
  assert.equal(pushA.code, 0, pushA.output);
  const pushB = await git(repo, ['push', httpUrl(p, tokens.bob!, 'b-one'), 'main']);
  assert.equal(pushB.code, 0, pushB.output);
  const bobPush = await git(repo, ['push', httpUrl(p, tokens.bob!, 'a-two'), 'main:refs/heads/evil']);
  assert.notEqual(bobPush.code, 0);
  assert.match(bobPush.output, /not found/);
  const bobFetch = await git(p.dataDir, ['clone', '-q', httpUrl(p, tokens.bob!, 'a-two'), join(p.dataDir, 'clone-bob-http')]);
  assert.notEqual(bobFetch.code, 0);
  const refs = await git(p.dataDir, ['ls-remote', httpUrl(p, tokens.alice!, 'a-two')]);
  assert.doesNotMatch(refs.output, /evil|refs\/heads\/x/, 'no refs were written by refused pushes');
});

/** The first running process of `app`, as the backend shows it. */
async function processOf(app: string): Promise<string> {
  const [proc] = (await p.probe.processes({ app, kind: 'process' })).filter((c) => c.running);
  assert.ok(proc, `a running process of ${app}`);
  return proc.id;
}

/** Opens a TCP connection from inside the process `from` (the network its team's apps have); true when it connects. */
async function canConnect(from: string, host: string, port = 5000): Promise<boolean> {
  const out = await p.probe.exec(from, ['bash', '-c', `timeout 4 bash -c 'exec 3<>/dev/tcp/${host}/${port}' && echo CONNECTED || echo REFUSED`]);
  return out.includes('CONNECTED');
}

test('team networks: same-team processes reach each other by app name; another team cannot connect even by IP', async () => {
  const [a1, a2, b1] = await Promise.all([processOf('a-one'), processOf('a-two'), processOf('b-one')]);
  const ipA = await p.probe.ip(a1, 'team-a');
  const ipB = await p.probe.ip(b1, 'team-b');
  assert.match(ipA, /^\d+\.\d+\.\d+\.\d+$/);
  assert.match(ipB, /^\d+\.\d+\.\d+\.\d+$/);
  assert.equal(await canConnect(a2, 'a-one'), true, 'a-two reaches a-one by name');
  assert.equal(await canConnect(a1, 'a-two'), true, 'a-one reaches a-two by name');
  assert.equal(await canConnect(a2, ipA), true, 'control: the IP probe works');
  assert.equal(await canConnect(b1, 'b-one'), true, 'b-one reaches its own name');
  assert.equal(await canConnect(b1, 'a-one'), false, 'team-b cannot resolve/reach a-one');
  assert.equal(await canConnect(b1, ipA), false, "team-b cannot connect to team-a's process IP");
  assert.equal(await canConnect(a2, ipB), false, "team-a cannot connect to team-b's process IP");
});

test('config is encrypted at rest (config and release snapshots), served decrypted, and survives key rotation', async () => {
  await ok('alice', ['config:set', `GREETING=${SECRET}`, '-a', 'a-one']);
  assert.equal((await p.fetchApp('a-one.localhost')).body, `ok v2 ${SECRET}`);
  const raw = await rawEtcd(p, 'apps/a-one/');
  assert.ok(Object.keys(raw).some((k) => k.endsWith('/config')));
  assert.ok(Object.keys(raw).some((k) => k.includes('/releases/')));
  for (const [k, v] of Object.entries(raw)) assert.ok(!v.includes(SECRET), `${k} holds the plaintext`);
  assert.match(raw['/yunbang/apps/a-one/config']!, /"\$sealed":"aes-256-gcm"/);
  const keyFile = join(p.dataDir, 'secret.key');
  const before = readFileSync(keyFile, 'utf8');

  const notAdmin = await ybAs(p, tokens.alice!, ['admin:rotate-key']);
  assert.equal(notAdmin.code, 3);
  const rot = await ok('admin', ['admin:rotate-key', '--json']);
  const { resealed } = JSON.parse(rot.stdout) as { resealed: number };
  assert.ok(resealed >= 3, `config + 2 releases re-sealed (${resealed})`);
  assert.notEqual(readFileSync(keyFile, 'utf8'), before);
  assert.equal(readFileSync(keyFile, 'utf8').trim().split('\n').length, 1, 'the old key is dropped');
  const rawAfter = await rawEtcd(p, 'apps/a-one/');
  for (const v of Object.values(rawAfter)) assert.ok(!v.includes(SECRET));
  assert.equal((await ok('alice', ['config:get', 'GREETING', '-a', 'a-one'])).stdout.trim(), SECRET);
  await ok('alice', ['rollback', 'v1', '-a', 'a-one']);
  assert.equal((await p.fetchApp('a-one.localhost')).body, 'ok v3');
  await ok('alice', ['rollback', 'v2', '-a', 'a-one']);
  assert.equal((await p.fetchApp('a-one.localhost')).body, `ok v4 ${SECRET}`, 'a snapshot sealed before the rotation opens after it');
});

test('audit events: who did what to which app, from where; keys only; invisible to other teams', async () => {
  const r = await ok('alice', ['events', '-a', 'a-one', '--json']);
  const events = JSON.parse(r.stdout) as Array<{ action: string; user: string; ip?: string; app?: string; detail?: Record<string, unknown> }>;
  const actions = events.map((e) => e.action);
  for (const a of ['app.create', 'git.push', 'deploy', 'config.set', 'rollback']) assert.ok(actions.includes(a), `${a} in ${actions.join(',')}`);
  const push = events.find((e) => e.action === 'git.push')!;
  assert.equal(push.user, 'alice');
  assert.equal(push.ip, '127.0.0.1');
  assert.deepEqual(events.find((e) => e.action === 'config.set')!.detail, { set: ['GREETING'], unset: [] });
  assert.ok(!r.stdout.includes(SECRET), 'no config value in events');
  const table = await ok('alice', ['events']);
  assert.match(table.stdout, /member\.add/);
  const bob = await ybAs(p, tokens.bob!, ['events', '-a', 'a-one']);
  assert.equal(bob.code, 4);
  const bobAll = await ok('bob', ['events', '--json']);
  assert.ok(!bobAll.stdout.includes('a-one'), "bob sees nothing of team-a's apps");
});

test('no token, password or config value appears in the platform logs', async () => {
  const files = readdirSync(join(p.dataDir, 'logs'), { recursive: true, withFileTypes: true }).filter((d) => d.isFile());
  assert.ok(files.length > 0);
  const logs = [p.output(), ...files.map((d) => readFileSync(join(d.parentPath, d.name), 'utf8'))].join('\n');
  for (const secret of [...Object.values(tokens), SECRET, 'correct horse battery'])
    assert.ok(!logs.includes(secret), `a secret leaked into the logs: ${secret.slice(0, 6)}…`);
});
