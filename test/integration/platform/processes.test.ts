// Issue #4: one-off `yb run`, crash restarts, control-plane kill -9 in the middle of a rollout, and release
// retention (rollback beyond it fails clearly). Real platform on the test run's backend (Docker or Kubernetes), git.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { startPlatform, fixtureRepo, git, commitAll, ROOT, type Platform } from '../../helpers/platform.js';
import { until } from '../../helpers/until.js';
import { startLoad } from '../../helpers/load.js';

const run = promisify(execFile);
let p: Platform;
let repo: string;
const HOST = 'procs.localhost';

/** The app's processes as the backend shows them (containers or pods, running or not). */
async function processes(): Promise<Array<{ id: string; release: string; state: string }>> {
  const list = await p.probe.processes({ app: 'procs', kind: 'process' });
  return list.map((c) => ({ id: c.id, release: c.release ?? '', state: c.running ? 'running' : 'stopped' }));
}

before(async () => {
  p = await startPlatform({ YB_RELEASE_RETENTION: '1' });
  repo = await fixtureRepo('node-zero', p.dataDir);
  await p.yb(['apps:create', 'procs']);
  const push = await git(repo, ['push', `http://yb:${p.token}@${new URL(p.apiUrl).host}/git/procs.git`, 'main']);
  assert.equal(push.code, 0, push.output);
});

after(async () => {
  await p?.stop();
});

test('yb run passes stdin, output and the exit code through, and leaves no container', async () => {
  const r = await p.yb(['run', '-a', 'procs', '--', 'echo "$DYNO $YB_RELEASE"; exit 7'], { allowFail: true });
  assert.equal(r.code, 7);
  assert.equal(r.stdout.trim(), 'run.1 v1');
  const echo = await new Promise<string>((resolve, reject) => {
    const c = spawn(process.execPath, [join(ROOT, 'dist/bin/yb.js'), 'run', '-a', 'procs', '--', 'tr a-z A-Z'], { env: p.env });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.on('error', reject);
    c.on('exit', () => resolve(out));
    c.stdin.end('shout please\n');
  });
  assert.equal(echo.trim(), 'SHOUT PLEASE');
  const tty = await run(
    'script',
    ['-qec', `${process.execPath} ${join(ROOT, 'dist/bin/yb.js')} run -a procs -- 'test -t 0 && test -t 1 && echo on-a-tty'`, '/dev/null'],
    { env: p.env },
  );
  assert.match(tty.stdout, /on-a-tty/);
  assert.deepEqual(await p.probe.processes({ kind: 'run' }), []);
  const events = JSON.parse((await p.yb(['events', '-a', 'procs', '--json'])).stdout) as Array<{ action: string; detail?: Record<string, unknown> }>;
  const runs = events.filter((e) => e.action === 'run');
  assert.ok(runs.length >= 3, 'each one-off run is audited');
  assert.ok(
    runs.every((e) => !JSON.stringify(e).includes('exit 7')),
    'the command line is not recorded',
  );
});

test('a crashed process is restarted by the platform and shows its restarts', async () => {
  const [web] = await processes();
  await p.probe.crash(web!.id, 'node');
  const ps = await until('the restart to show', async () => {
    const list = JSON.parse((await p.yb(['ps', '-a', 'procs', '--json'])).stdout) as Array<{ restarts: number; state: string }>;
    return list[0] && list[0].restarts >= 1 && list[0].state === 'up' ? list : undefined;
  });
  assert.equal(ps.length, 1);
  await until('the app to answer again', async () => (await p.fetchApp(HOST).catch(() => ({ status: 0 }))).status === 200);
});

test('kill -9 of the control plane during a rollout converges to one serving release without orphans', async () => {
  const load = startLoad(p.routerPort, HOST, { keepAlive: 2, fresh: 1, maxSeconds: 120, pauseMs: 5 });
  const pending = p.yb(['config:set', 'LISTEN_DELAY_MS=3000', 'GREETING=interrupted', '-a', 'procs'], { allowFail: true });
  await until('the new release to start a container', async () => (await processes()).some((c) => c.release === '2'));
  p.kill9();
  await pending;
  await p.restart();
  const list = await until('one release left', async () => {
    const l = await processes();
    return new Set(l.map((c) => c.release)).size === 1 ? l : undefined;
  });
  const app = JSON.parse((await p.yb(['apps:info', '-a', 'procs', '--json'])).stdout) as { currentRelease: number };
  assert.deepEqual(
    list.map((c) => [c.release, c.state]),
    [[String(app.currentRelease), 'running']],
  );
  const rel = JSON.parse((await p.yb(['releases', '-a', 'procs', '--json'])).stdout) as Array<{ version: number; status: string }>;
  assert.ok(
    rel.every((r) => r.status !== 'pending'),
    'no release is left pending',
  );
  assert.equal((await p.fetchApp(HOST)).status, 200);
  const r = await load.stop();
  assert.equal(r.failures, 0, `failed requests: ${r.failures} of ${r.requests}: ${r.samples.join(' | ')}`);
});

test('ps:stop stops every process until ps:start', async () => {
  await p.yb(['ps:stop', '-a', 'procs']);
  assert.equal((await p.fetchApp(HOST)).status, 503);
  assert.deepEqual(await processes(), []);
  await p.yb(['ps:start', '-a', 'procs']);
  assert.equal((await p.fetchApp(HOST)).status, 200);
  assert.equal((await processes()).length, 1);
});

test('rollback beyond the image retention fails with a clear message', async () => {
  appendFileSync(join(repo, 'server.js'), '\n// v-next\n');
  await commitAll(repo, 'next');
  const push = await git(repo, ['push', `http://yb:${p.token}@${new URL(p.apiUrl).host}/git/procs.git`, 'main']);
  assert.equal(push.code, 0, push.output);
  const r = await p.yb(['rollback', 'v1', '-a', 'procs'], { allowFail: true });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /no longer kept/);
  assert.equal((await p.fetchApp(HOST)).status, 200);
});
