// Issue #14 item 1: what a build (or the app's source) leaves behind is read by the control plane without ever
// following a symbolic link out of its tree. Each test is a real attack: a git push of an app whose own buildpack
// (test/fixtures/apps/evil-outputs, .buildpacks: /tmp/build/bp) turns Procfile, OUT/result.json, OUT/release.yml,
// .heroku, .profile.d or the per-app cache into links to host secrets (the admin token in the data dir, a root-only
// file); the push must be refused in one sentence and the secret must appear nowhere: push output, build log,
// build record, release.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { lstatSync, mkdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { startPlatform, fixtureRepo, git, commitAll, type Platform } from '../../helpers/platform.js';

const run = promisify(execFile);
const APP = 'outs';
let p: Platform;
let repo: string;
/** A root-only host file outside the data dir; its content is a line no Procfile parser accepts, so it would be echoed. */
let hostSecret: string;
let hostSecretText: string;

before(async () => {
  p = await startPlatform();
  await p.yb(['apps:create', APP, '--no-remote']);
  repo = await fixtureRepo('evil-outputs', p.dataDir);
  const dir = `/tmp/yb-host-secret-${p.instance}`;
  mkdirSync(dir, { mode: 0o700 });
  hostSecret = join(dir, 'secret');
  hostSecretText = `host-secret-${randomBytes(8).toString('hex')}`;
  writeFileSync(hostSecret, `${hostSecretText}\n`, { mode: 0o600 });
});

after(async () => {
  if (hostSecret) rmSync(join(hostSecret, '..'), { recursive: true, force: true });
  await p?.stop();
});

function pushUrl(app: string): string {
  return `http://yb:${p.token}@${new URL(p.apiUrl).host}/git/${app}.git`;
}

/** Sets the attack, pushes a new commit; returns the push output. */
async function push(attack: string, target: string): Promise<{ code: number; output: string }> {
  await p.yb(['config:set', `ATTACK=${attack}`, `TARGET=${target}`, '-a', APP]);
  await git(repo, ['-c', 'user.email=t@example.com', '-c', 'user.name=test', 'commit', '-q', '--allow-empty', '-m', `attack ${attack}`]);
  return git(repo, ['push', pushUrl(APP), 'HEAD:main']);
}

/** The secret is nowhere the tenant can read: push output, the stored build log and record, releases. */
async function assertNotLeaked(secret: string, pushOutput: string, app = APP): Promise<void> {
  assert.ok(!pushOutput.includes(secret), `the push output must not contain the secret:\n${pushOutput}`);
  const log = await p.yb(['builds:output', '-a', app]);
  assert.ok(!log.stdout.includes(secret), 'the build log must not contain the secret');
  const record = await p.yb(['builds:info', '-a', app, '--json']);
  assert.ok(!record.stdout.includes(secret), 'the build record must not contain the secret');
  const releases = await p.yb(['releases', '-a', app, '--json']);
  assert.ok(!releases.stdout.includes(secret), 'no release may carry the secret');
}

async function refused(attack: string, target: string, message: RegExp, secret: string): Promise<void> {
  const r = await push(attack, target);
  assert.notEqual(r.code, 0, `the push must be rejected:\n${r.output}`);
  assert.match(r.output, message);
  assert.match(r.output, /Push rejected; the previous release keeps serving/);
  await assertNotLeaked(secret, r.output);
}

test('Procfile made a link to an absolute host path is refused; the file is not echoed', async () => {
  await refused(
    'procfile',
    hostSecret,
    /remote: ! .*Procfile leads out of the app through a symbolic link \(Procfile -> \/tmp\/yb-host-secret-[^)]*\); the platform reads only files inside it/,
    hostSecretText,
  );
});

test('Procfile made a relative link up to the data dir (../../../admin-token) is refused', async () => {
  await refused(
    'procfile',
    '../../../admin-token',
    /Procfile leads out of the app through a symbolic link \(Procfile -> \.\.\/\.\.\/\.\.\/admin-token\)/,
    p.token,
  );
});

test('OUT/result.json planted as a link (the driver writes through it inside the container) is refused', async () => {
  await refused(
    'result-json',
    join(p.dataDir, 'admin-token'),
    /result\.json in the build output is a symbolic link \(to \/tmp\/yb-test-[^)]*admin-token\); the platform reads it only as a plain file/,
    p.token,
  );
});

test('OUT/release.yml planted as a link is refused', async () => {
  await refused('release-yml', join(p.dataDir, 'admin-token'), /release\.yml in the build output is a symbolic link/, p.token);
});

test('.heroku left as a link (to the data dir) is refused before the runtime is fingerprinted or packed', async () => {
  await refused('heroku', '../../..', /the build left \.heroku as a symbolic link; it must be a directory/, p.token);
});

test('a .profile.d link is packed as a link: the image never holds the host file; the app deploys and serves', async () => {
  const r = await push('profile-d', hostSecret);
  assert.equal(r.code, 0, r.output);
  await assertNotLeaked(hostSecretText, r.output);
  assert.equal((await p.fetchApp(`${APP}.localhost`)).body, 'evil-outputs ok\n');
  const build = JSON.parse((await p.yb(['builds:info', '-a', APP, '--json'])).stdout) as { image: string };
  const { stdout } = await run('docker', [
    'run',
    '--rm',
    '--entrypoint',
    '/bin/sh',
    build.image,
    '-c',
    'readlink /app/.profile.d/leak.sh; cat /app/.profile.d/leak.sh 2>&1; true',
  ]);
  assert.match(stdout, new RegExp(`^${hostSecret}\n`), 'the link itself is in the image');
  assert.ok(!stdout.includes(hostSecretText), 'the host file is not');
});

test('links a build plants in the per-app cache are never followed by the host (the next build re-owns the cache)', async () => {
  const before = statSync(hostSecret);
  assert.equal(before.uid, 0);
  const planted = await push('cache', hostSecret);
  assert.equal(planted.code, 0, planted.output);
  // The next build of the app chowns its cache to the build user before mounting it: links there stay links.
  const next = await push('', '');
  assert.equal(next.code, 0, next.output);
  const cache = join(p.dataDir, 'cache', APP);
  assert.ok(lstatSync(join(cache, 'planted')).isSymbolicLink(), 'the planted link was there for the chown to meet');
  const after = statSync(hostSecret);
  const afterDir = statSync(join(hostSecret, '..'));
  assert.deepEqual([after.uid, after.gid, after.mode & 0o777], [0, 0, 0o600], 'the host file keeps its owner and mode');
  assert.deepEqual([afterDir.uid, afterDir.gid], [0, 0], 'the host directory keeps its owner');
});

test('a chain of links in the pushed source (d -> ., up -> d/d/d/../../..) cannot reach the data dir', async () => {
  // By name "up" is the source's own top; through d it is the data dir three levels up. Without the build.
  await p.yb(['apps:create', 'chain', '--no-remote']);
  const src = await fixtureRepo('static-hello', p.dataDir);
  symlinkSync('.', join(src, 'd'));
  symlinkSync('d/d/d/../../..', join(src, 'up'));
  symlinkSync('up/admin-token', join(src, 'app.json'));
  await commitAll(src, 'links');
  const r = await git(src, ['push', pushUrl('chain'), 'HEAD:main']);
  assert.notEqual(r.code, 0, r.output);
  assert.match(r.output, /the source contains a symbolic link that points outside it: (up|app\.json) -> /);
  await assertNotLeaked(p.token, r.output, 'chain');
  // The same for a Dockerfile app's .dockerignore.
  rmSync(join(src, 'app.json'));
  writeFileSync(join(src, 'Dockerfile'), 'FROM yunbang/stack:latest\n');
  symlinkSync('up/admin-token', join(src, '.dockerignore'));
  await commitAll(src, 'dockerignore');
  const d = await git(src, ['push', pushUrl('chain'), 'HEAD:main']);
  assert.notEqual(d.code, 0, d.output);
  assert.match(d.output, /the source contains a symbolic link that points outside it: (up|\.dockerignore) -> /);
  await assertNotLeaked(p.token, d.output, 'chain');
});
