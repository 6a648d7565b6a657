// Issue #14 item 6: every container a tenant's code runs in is hardened (pids limit, no-new-privileges, reduced
// capabilities, memory limit, time limits), proven by attacks through the real platform: a fork bomb and a memory
// hog in `yb run`, a raw socket in an app container, a release phase that never ends, and by inspecting the real
// app, one-off, release-phase, build and service containers. The attacks are bounded even without the fix (each
// command first checks its cgroup limit and refuses to start when there is none, and the bomb runs under timeout).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startPlatform, fixtureRepo, commitAll, ROOT, type Platform } from '../../helpers/platform.js';
import { until } from '../../helpers/until.js';
import { PROCESS_CAPS, SERVICE_CAPS } from '../../../src/runtime/hardening.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;
let p: Platform;

interface HostConfig {
  PidsLimit: number | null;
  SecurityOpt: string[] | null;
  CapDrop: string[] | null;
  CapAdd: string[] | null;
  Memory: number;
  MemorySwap: number;
}

/** Ids of this platform's containers with the given labels (running or not). */
async function containers(labels: Record<string, string>): Promise<string[]> {
  const filters = Object.entries({ 'yunbang.instance': p.instance, ...labels }).flatMap(([k, v]) => ['--filter', `label=${k}=${v}`]);
  const { stdout } = await run('docker', ['ps', '-aq', ...filters]);
  return stdout.trim().split('\n').filter(Boolean);
}

async function hostConfig(id: string): Promise<HostConfig> {
  const { stdout } = await run('docker', ['inspect', '--format', '{{json .HostConfig}}', id]);
  return JSON.parse(stdout) as HostConfig;
}

const caps = (list: string[] | null) => (list ?? []).map((c) => c.replace(/^CAP_/, '')).sort();

function assertHardened(hc: HostConfig, want: { pids: number; caps: readonly string[]; memory?: number }, what: string): void {
  assert.equal(hc.PidsLimit, want.pids, `${what}: pids limit`);
  assert.deepEqual(hc.SecurityOpt, ['no-new-privileges'], `${what}: no-new-privileges`);
  assert.deepEqual(caps(hc.CapDrop), ['ALL'], `${what}: capabilities dropped`);
  assert.deepEqual(caps(hc.CapAdd), [...want.caps].sort(), `${what}: capabilities kept`);
  assert.ok(!caps(hc.CapAdd).includes('NET_RAW'), `${what}: no NET_RAW`);
  if (want.memory !== undefined) {
    assert.equal(hc.Memory, want.memory, `${what}: memory limit`);
    assert.equal(hc.MemorySwap, want.memory, `${what}: no swap beyond the memory limit`);
  }
}

/** `git push` to the platform, killed after `deadlineMs` (so a hang shows as a failure, not a stuck test). */
function push(repo: string, app: string, deadlineMs: number): Promise<{ code: number | null; output: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const c = spawn('git', ['push', `http://yb:${p.token}@${new URL(p.apiUrl).host}/git/${app}.git`, 'main'], {
      cwd: repo,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
    });
    let output = '';
    c.stdout.on('data', (d: Buffer) => (output += d.toString()));
    c.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const killer = setTimeout(() => c.kill('SIGKILL'), deadlineMs);
    c.on('error', reject);
    c.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, output, ms: Date.now() - t0 });
    });
  });
}

/** `yb run` in the background: its output so far, and its end. */
function ybRun(app: string, command: string) {
  const c = spawn(process.execPath, [join(ROOT, 'dist/bin/yb.js'), 'run', '-a', app, '--', command], { env: p.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const r = { stdout: '', stderr: '', code: null as number | null, ended: false };
  c.stdout.on('data', (d: Buffer) => (r.stdout += d.toString()));
  c.stderr.on('data', (d: Buffer) => (r.stderr += d.toString()));
  const done = new Promise<typeof r>((resolve) => c.on('exit', (code) => ((r.code = code), (r.ended = true), resolve(r))));
  return { r, done, kill: () => c.kill('SIGKILL') };
}

async function webContainer(app: string): Promise<string> {
  return until(`the web process of ${app}`, async () => (await containers({ 'yunbang.app': app, 'yunbang.kind': 'process', 'yunbang.process': 'web' }))[0]);
}

before(async () => {
  p = await startPlatform({
    YB_PROCESS_PIDS: '64',
    YB_PROCESS_MEMORY: '128',
    YB_BUILD_PIDS: '1000',
    YB_SERVICE_PIDS: '300',
    YB_SERVICE_MEMORY: '200',
    YB_RELEASE_TIMEOUT: '4',
    YB_RUN_TIMEOUT: '12',
  });
  for (const app of ['tenant', 'bystander']) {
    await p.yb(['apps:create', app]);
    const r = await push(await fixtureRepo('dockerfile-hello', p.dataDir), app, 120_000);
    assert.equal(r.code, 0, r.output);
  }
});

after(async () => {
  await p?.stop();
});

test('app containers carry the pids limit, no-new-privileges, the reduced capabilities and the default memory; a size overrides it', async () => {
  assertHardened(await hostConfig(await webContainer('tenant')), { pids: 64, caps: PROCESS_CAPS, memory: 128 * MiB }, 'web process');
  await p.yb(['ps:scale', 'web=1:256M', '-a', 'bystander']);
  const sized = await until('the resized web process', async () => {
    for (const id of await containers({ 'yunbang.app': 'bystander', 'yunbang.kind': 'process' })) if ((await hostConfig(id)).Memory === 256 * MiB) return id;
    return undefined;
  });
  assertHardened(await hostConfig(sized), { pids: 64, caps: PROCESS_CAPS, memory: 256 * MiB }, 'sized web process');
  assert.equal((await p.fetchApp('bystander.localhost')).status, 200);
});

test('a raw socket (NET_RAW: ARP/ICMP spoofing on the team network) cannot be opened in an app container, even as root', async () => {
  const rawSocket = `perl -MSocket -e 'socket(my $s, PF_INET, SOCK_RAW, 1) or die "raw socket: $!\\n"; print "raw socket opened\\n"'`;
  const web = await webContainer('tenant');
  assert.equal((await run('docker', ['exec', web, 'id', '-u'])).stdout.trim(), '0', 'the Dockerfile app runs as root');
  const inWeb = await run('docker', ['exec', web, 'sh', '-c', `${rawSocket} 2>&1; echo "exit=$?"`]);
  assert.match(inWeb.stdout, /raw socket: Operation not permitted/, inWeb.stdout);
  const oneOff = await p.yb(['run', '-a', 'tenant', '--', `id -u; ${rawSocket}`], { allowFail: true });
  assert.notEqual(oneOff.code, 0, oneOff.stdout);
  assert.match(oneOff.stdout + oneOff.stderr, /raw socket: Operation not permitted/);
  assert.doesNotMatch(oneOff.stdout, /raw socket opened/);
});

test('a Dockerfile app starting as root may still bind port 80, chown and drop to another user, but never regain privileges', async () => {
  await p.yb(['apps:create', 'lowport']);
  const repo = await fixtureRepo('dockerfile-hello', p.dataDir);
  const df = join(repo, 'Dockerfile');
  writeFileSync(df, readFileSync(df, 'utf8').replace('EXPOSE 8000', 'EXPOSE 80').replace('127.0.0.1:8000', '127.0.0.1:80'));
  writeFileSync(join(repo, 'Procfile'), 'web: chown -R nobody /app/public && exec perl /app/server.pl\n');
  await commitAll(repo, 'port 80, chown at start');
  const r = await push(repo, 'lowport', 120_000);
  assert.equal(r.code, 0, r.output);
  assert.equal((await p.fetchApp('lowport.localhost')).status, 200, 'served from port 80 (NET_BIND_SERVICE), after a chown (CHOWN)');
  const one = await p.yb([
    'run',
    '-a',
    'lowport',
    '--',
    'setpriv --reuid=65534 --regid=65534 --clear-groups id -u; grep -E "^(NoNewPrivs|CapBnd)" /proc/self/status',
  ]);
  assert.match(one.stdout, /^65534$/m, 'dropped to another user (SETUID, SETGID)');
  assert.match(one.stdout, /^NoNewPrivs:\s+1$/m, 'setuid binaries cannot raise privileges');
  // CHOWN, DAC_OVERRIDE, FOWNER, KILL, SETGID, SETUID, NET_BIND_SERVICE: bits 0 1 3 5 6 7 10.
  assert.match(one.stdout, /^CapBnd:\s+00000000000004eb$/m, one.stdout);
});

test('a fork bomb in yb run stops at the pids limit; the API and other apps keep answering; nothing is left behind', async () => {
  const marker = `yb-bomb-${randomBytes(4).toString('hex')}`;
  // Refuses to start without a pids limit; the bomb's whole process group is killed after 6 s in any case.
  const command = [
    'max=$(cat /sys/fs/cgroup/pids/pids.max); echo "pids.max=$max"',
    '[ "$max" = max ] && { echo "no pids limit: the bomb is not started"; exit 99; }',
    `timeout -s KILL 6 bash -c 'sleep 30 & s=$!; f(){ f|f& }; f; wait $s' ${marker} 2>/tmp/bomb.err`,
    'echo "fork failures: $(grep -c "Resource temporarily unavailable" /tmp/bomb.err)"',
    'cat /sys/fs/cgroup/pids/pids.events',
  ].join('; ');
  const bomb = ybRun('tenant', command);
  await until('the bomb to start', async () => bomb.r.stdout.includes('pids.') || bomb.r.ended, 60_000);
  assert.match(bomb.r.stdout, /pids\.max=64/, bomb.r.stdout + bomb.r.stderr);
  const runId = await until('the one-off container', async () => (await containers({ 'yunbang.app': 'tenant', 'yunbang.kind': 'run' }))[0]);
  assertHardened(await hostConfig(runId), { pids: 64, caps: PROCESS_CAPS, memory: 128 * MiB }, 'yb run container');

  // While it runs: the host's view of the bomb's processes, the API and another app through the router.
  let most = 0;
  let probes = 0;
  let slowest = 0;
  const token = { authorization: `Bearer ${p.token}` };
  while (!bomb.r.ended) {
    const { stdout } = await run('pgrep', ['-c', '-f', `^bash -c .*${marker}`]).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '0' }));
    most = Math.max(most, Number(stdout.trim()));
    const t0 = Date.now();
    const api = await fetch(`${p.apiUrl}/apps`, { headers: token, signal: AbortSignal.timeout(5000) });
    const apiMs = Date.now() - t0;
    slowest = Math.max(slowest, apiMs);
    assert.equal(api.status, 200);
    assert.ok(apiMs < 1000, `the API answered in ${apiMs} ms during the fork bomb`);
    const other = await p.fetchApp('bystander.localhost');
    assert.equal(other.status, 200, 'the other app keeps serving through the router');
    assert.match(other.body, /hello from a Dockerfile/);
    probes++;
    await new Promise((r) => setTimeout(r, 200));
  }
  const r = await bomb.done;
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.ok(probes >= 5, `${probes} probes while the bomb ran`);
  assert.ok(most > 20 && most <= 64, `the host saw at most ${most} of the bomb's processes (limit 64)`);
  const failures = Number(/fork failures: (\d+)/.exec(r.stdout)?.[1] ?? 0);
  assert.ok(failures > 0, `fork failed for lack of pids: ${r.stdout}`);
  assert.ok(Number(/^max (\d+)/m.exec(r.stdout)?.[1] ?? 0) > 0, `the cgroup counted refused forks: ${r.stdout}`);
  process.stdout.write(`# fork bomb: at most ${most} of its processes, ${failures} failed forks, ${probes} probes, slowest API answer ${slowest} ms\n`);
  // Afterwards: no process of the bomb on the host, no one-off container.
  const left = await run('pgrep', ['-f', marker]).then(
    (x) => x.stdout.trim(),
    () => '',
  );
  assert.equal(left, '', 'no stray process of the bomb');
  assert.deepEqual(await containers({ 'yunbang.app': 'tenant', 'yunbang.kind': 'run' }), []);
});

test('a memory hog in yb run is killed at the memory limit: exit code 137 and a sentence saying why', async () => {
  const command = [
    'lim=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes); echo "memory.limit=$lim"',
    '[ "$lim" -gt 1073741824 ] && { echo "no memory limit: the hog is not started"; exit 99; }',
    `exec timeout -s KILL 60 perl -e 'my @a; push @a, "x" x (1<<20) while 1'`,
  ].join('; ');
  const t0 = Date.now();
  const r = await p.yb(['run', '-a', 'tenant', '--', command], { allowFail: true });
  assert.match(r.stdout, new RegExp(`memory.limit=${128 * MiB}\\b`), r.stdout + r.stderr);
  assert.equal(r.code, 137, r.stdout + r.stderr);
  assert.match(r.stderr, /yb: the process was killed for using more than its memory limit \(128 MiB/);
  assert.ok(Date.now() - t0 < 30_000, `ended after ${Date.now() - t0} ms`);
  assert.deepEqual(await containers({ 'yunbang.app': 'tenant', 'yunbang.kind': 'run' }), []);
});

test('yb run is stopped at YB_RUN_TIMEOUT and the user is told why; the container is removed', async () => {
  const t0 = Date.now();
  const r = await p.yb(['run', '-a', 'tenant', '--', 'echo started; sleep 60; echo not-cut'], { allowFail: true });
  const ms = Date.now() - t0;
  assert.match(r.stdout, /started/);
  assert.doesNotMatch(r.stdout, /not-cut/);
  assert.equal(r.code, 137, r.stdout + r.stderr);
  assert.match(r.stderr, /yb: the process ran longer than the 12 s limit of one-off processes \(YB_RUN_TIMEOUT\) and was stopped/);
  assert.ok(ms >= 12_000 && ms < 40_000, `cut after ${ms} ms`);
  assert.deepEqual(await containers({ 'yunbang.app': 'tenant', 'yunbang.kind': 'run' }), []);
});

test('a release phase past YB_RELEASE_TIMEOUT fails the deploy in one sentence; its hardened container is removed', async () => {
  await p.yb(['apps:create', 'slowrel']);
  const repo = await fixtureRepo('dockerfile-hello', p.dataDir);
  writeFileSync(join(repo, 'Procfile'), 'release: echo release-started; sleep 60; echo release-finished\n');
  await commitAll(repo, 'endless release phase');
  const pushing = push(repo, 'slowrel', 120_000);
  let seen: HostConfig | undefined;
  const watch = until(
    'the release-phase container',
    async () => {
      const id = (await containers({ 'yunbang.app': 'slowrel', 'yunbang.kind': 'run' }))[0];
      if (id) seen = await hostConfig(id).catch(() => undefined);
      return seen;
    },
    90_000,
  );
  const [r] = await Promise.all([pushing, watch]);
  assert.notEqual(r.code, 0, r.output);
  assert.match(r.output, /release-started/);
  assert.doesNotMatch(r.output, /remote:\s+release-finished/);
  assert.match(
    r.output,
    /remote: !\s+Running release phase failed: "echo release-started; sleep 60; echo release-finished" ran longer than the 4 s limit \(YB_RELEASE_TIMEOUT\) and was stopped; nothing was rolled out/,
  );
  assert.ok(r.ms < 40_000, `the push ended ${r.ms} ms after it started`);
  assertHardened(seen!, { pids: 64, caps: PROCESS_CAPS, memory: 128 * MiB }, 'release-phase container');
  assert.deepEqual(await containers({ 'yunbang.app': 'slowrel' }), [], 'no container of the failed deploy is left');
  const rel = JSON.parse((await p.yb(['releases', '-a', 'slowrel', '--json'])).stdout) as Array<{ status: string }>;
  assert.equal(rel[0]?.status, 'failed');
});

test('a postdeploy past YB_RELEASE_TIMEOUT is stopped and reported; the release it followed stays live', async () => {
  await p.yb(['apps:create', 'slowpost']);
  const repo = await fixtureRepo('dockerfile-hello', p.dataDir);
  writeFileSync(join(repo, 'app.json'), JSON.stringify({ scripts: { dokku: { postdeploy: 'echo post-started; sleep 60; echo post-finished' } } }));
  await commitAll(repo, 'endless postdeploy');
  const r = await push(repo, 'slowpost', 120_000);
  assert.equal(r.code, 0, r.output);
  assert.match(r.output, /remote:\s+post-started/);
  assert.doesNotMatch(r.output, /remote:\s+post-finished/);
  assert.match(
    r.output,
    /postdeploy failed: "echo post-started; sleep 60; echo post-finished" ran longer than the 4 s limit \(YB_RELEASE_TIMEOUT\) and was stopped; v1 is live regardless/,
  );
  assert.ok(r.ms < 40_000, `the push ended ${r.ms} ms after it started`);
  assert.equal((await p.fetchApp('slowpost.localhost')).status, 200);
  assert.deepEqual(await containers({ 'yunbang.app': 'slowpost', 'yunbang.kind': 'run' }), [], 'the postdeploy container is removed');
});

test('buildpack build containers carry the build pids limit, no-new-privileges and no capability at all', async () => {
  await p.yb(['apps:create', 'site']);
  const pushing = push(await fixtureRepo('static-hello', p.dataDir), 'site', 180_000);
  let seen: HostConfig | undefined;
  let ended = false;
  void pushing.then(() => (ended = true));
  await until(
    'the build container',
    async () => {
      const id = (await containers({ 'yunbang.app': 'site', 'yunbang.kind': 'build' }))[0];
      if (id) seen = await hostConfig(id).catch(() => undefined);
      return seen ?? ended;
    },
    180_000,
  );
  const r = await pushing;
  assert.equal(r.code, 0, r.output);
  assert.ok(seen, 'the build container was seen during the push');
  assertHardened(seen, { pids: 1000, caps: [], memory: 4096 * MiB }, 'build container');
});

test('service containers carry the service pids and memory limits, no-new-privileges and only the capabilities to drop to their user; they start', async () => {
  await p.yb(['services:create', 'redis', 'hard-cache']);
  const id = await until('the service container', async () => (await containers({ 'yunbang.kind': 'service', 'yunbang.service': 'hard-cache' }))[0]);
  assertHardened(await hostConfig(id), { pids: 300, caps: SERVICE_CAPS, memory: 200 * 1024 * 1024 }, 'service container');
  const { stdout } = await run('docker', ['inspect', '--format', '{{.State.Running}}', id]);
  assert.equal(stdout.trim(), 'true');
  const ps = await run('docker', ['exec', id, 'ps', '-o', 'user=,comm=', '-C', 'redis-server']);
  assert.match(ps.stdout, /^redis\s+redis-server/m, 'redis dropped to its own user');
});
