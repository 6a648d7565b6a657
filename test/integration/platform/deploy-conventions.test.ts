// Issue #4: app.json `env` (required vars), `healthchecks` and `scripts.dokku.predeploy/postdeploy`, the Procfile
// `release:` phase and CHECKS, each through a real push; a failing step rejects the push and the previous
// release keeps serving. Real platform, Docker, git.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPlatform, fixtureRepo, git, commitAll, type Platform } from '../../helpers/platform.js';

let p: Platform;
let repo: string;
const HOST = 'conv.localhost';

async function push(): Promise<{ code: number; output: string }> {
  return git(repo, ['push', `http://yb:${p.token}@${new URL(p.apiUrl).host}/git/conv.git`, 'main']);
}

async function change(files: Record<string, string | null>, message: string): Promise<void> {
  for (const [name, text] of Object.entries(files)) {
    if (text === null) rmSync(join(repo, name), { force: true });
    else writeFileSync(join(repo, name), text);
  }
  await commitAll(repo, message);
}

before(async () => {
  p = await startPlatform({ YB_HEALTH_TIMEOUT: '12' }); // failing checks below give up after 12 s
  repo = await fixtureRepo('node-zero', p.dataDir);
  await p.yb(['apps:create', 'conv']);
});

after(async () => {
  await p?.stop();
});

test('app.json env: a required var that is not set fails the deploy clearly; defaults are applied', async () => {
  await change({ 'app.json': JSON.stringify({ env: { SECRET_TOKEN: { required: true }, GREETING: { value: 'from-app-json' } } }) }, 'required env');
  const failed = await push();
  assert.notEqual(failed.code, 0);
  assert.match(failed.output, /app\.json requires config vars that are not set: SECRET_TOKEN/);
  assert.match(failed.output, /yb config:set SECRET_TOKEN=/);
  await p.yb(['config:set', 'SECRET_TOKEN=s3cret', '-a', 'conv']);
  const ok = await push();
  assert.equal(ok.code, 0, ok.output);
  assert.equal((await p.fetchApp(HOST)).body, 'ok v1 from-app-json', 'the app.json default reached the process');
});

test('a release phase runs before the rollout; its failure rejects the push and nothing rolls out', async () => {
  await change({ Procfile: 'web: node server.js\nrelease: echo "migrating $YB_RELEASE"\n' }, 'release phase');
  const ok = await push();
  assert.equal(ok.code, 0, ok.output);
  assert.match(ok.output, /Running release phase: echo/);
  assert.match(ok.output, /migrating v2/);
  await change({ Procfile: 'web: node server.js\nrelease: echo "migration broke"; exit 3\n' }, 'failing release phase');
  const failed = await push();
  assert.notEqual(failed.code, 0);
  assert.match(failed.output, /migration broke/);
  assert.match(failed.output, /release phase failed \(exit code 3\)/);
  assert.equal((await p.fetchApp(HOST)).body, 'ok v2 from-app-json', 'the previous release keeps serving');
  const rel = JSON.parse((await p.yb(['releases', '-a', 'conv', '-n', '1', '--json'])).stdout) as Array<{ status: string; current: boolean }>;
  assert.deepEqual([rel[0]!.status, rel[0]!.current], ['failed', false]);
});

test('app.json healthchecks decide health: a check that does not pass fails the deploy', async () => {
  const appJson = (content: string) =>
    JSON.stringify({ env: { GREETING: { value: 'from-app-json' } }, healthchecks: { web: [{ type: 'startup', path: '/health', content }] } });
  await change({ Procfile: 'web: node server.js\n', 'app.json': appJson('never-there') }, 'failing health check');
  const failed = await push();
  assert.notEqual(failed.code, 0);
  assert.match(failed.output, /health check GET \/health did not pass|did not contain "never-there"/);
  assert.equal((await p.fetchApp(HOST)).body, 'ok v2 from-app-json');
  await change({ 'app.json': appJson('ok v') }, 'passing health check');
  const ok = await push();
  assert.equal(ok.code, 0, ok.output);
});

test('a CHECKS file is honoured when app.json has no web health check', async () => {
  await change({ 'app.json': null, CHECKS: 'WAIT=1\n/ nothing-like-this\n' }, 'checks');
  const failed = await push();
  assert.notEqual(failed.code, 0);
  assert.match(failed.output, /did not contain "nothing-like-this"/);
  await change({ CHECKS: '/ ok v\n' }, 'checks fixed');
  const ok = await push();
  assert.equal(ok.code, 0, ok.output);
});

test('predeploy and postdeploy scripts run around the rollout', async () => {
  await change(
    { 'app.json': JSON.stringify({ scripts: { dokku: { predeploy: 'echo before-$YB_RELEASE', postdeploy: 'echo after-$YB_RELEASE' } } }) },
    'deploy scripts',
  );
  const ok = await push();
  assert.equal(ok.code, 0, ok.output);
  const before = ok.output.indexOf('before-v');
  const live = ok.output.indexOf('Releasing v');
  const afterIdx = ok.output.indexOf('after-v');
  assert.ok(before > 0 && live > before && afterIdx > live, ok.output);
});
