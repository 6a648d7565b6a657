// Issue #19 item 6: a control plane that survives losing a process. Two ybd instances (YB_HA) share a three-member
// etcd cluster and one data directory, with the router as its own process: one leads, the other forwards its API and
// SSH ports to it. Killing the leader with -9 lets the standby take over within seconds while the app keeps serving;
// a deploy cut short by the kill fails cleanly and succeeds when retried; killing an etcd member changes nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, cleanupDocker, fixtureRepo, git, httpGet, ybdEnv } from '../../helpers/platform.js';
import { freePorts } from '../../helpers/ports.js';
import { startLoad } from '../../helpers/load.js';
import { startEtcdCluster, type EtcdCluster } from '../../helpers/etcd-cluster.js';
import { until } from '../../helpers/until.js';

const APP = 'steadfast';
const HOST = `${APP}.localhost`;
const EXPECTED = readFileSync(join(ROOT, 'test/fixtures/apps/dockerfile-hello/EXPECTED'), 'utf8').trim();

interface Ybd {
  api: number;
  child: ChildProcess;
  out: () => string;
}

let cluster: EtcdCluster;
let dataDir: string;
let instance: string;
let env: NodeJS.ProcessEnv;
let router: ChildProcess | undefined;
let routerPort: number;
let token: string;
let repo: string;
const ybds: Ybd[] = [];

function startYbd(api: number, ssh: number, expect: RegExp): Promise<Ybd> {
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'bin', 'ybd.js')], {
    env: { ...env, YB_API_ADDR: `127.0.0.1:${api}`, YB_SSH_ADDR: `127.0.0.1:${ssh}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const y = { api, child, out: () => out };
  ybds.push(y);
  return until(`ybd on ${api}: ${expect}`, () => {
    if (child.exitCode !== null) throw new Error(`ybd exited (${child.exitCode}):\n${out}`);
    return expect.test(out) && y;
  });
}

async function yb(api: number, args: string[], allowFail = false): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [join(ROOT, 'dist', 'bin', 'yb.js'), ...args], {
      env: { ...env, YB_API_URL: `http://127.0.0.1:${api}`, YB_API_TOKEN: token, NO_COLOR: '1', HOME: dataDir },
      cwd: dataDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('exit', (code) =>
      code !== 0 && !allowFail
        ? reject(new Error(`yb ${args.join(' ')} exited ${code}:\n${stdout}\n${stderr}`))
        : resolve({ code: code ?? -1, stdout, stderr }),
    );
  });
}

const push = (api: number) => git(repo, ['push', `http://yb:${token}@127.0.0.1:${api}/git/${APP}.git`, 'HEAD:main']);

before(async () => {
  cluster = await startEtcdCluster(3);
  const [apiA, sshA, apiB, sshB, r, admin, tls] = await freePorts(7);
  routerPort = r!;
  dataDir = mkdtempSync(join(tmpdir(), 'yb-ha-'));
  instance = `ybha${Math.random().toString(36).slice(2, 7)}`;
  env = {
    ...ybdEnv({ dataDir, instance, api: apiA, router: r, admin, ssh: sshA, tls, etcd: undefined }),
    YB_ETCD_ENDPOINTS: cluster.endpoints.join(','),
    YB_HA: 'true',
    YB_HA_LEASE: '3',
    YB_ROUTER: 'external',
    YB_STOP_GRACE: '5',
    YB_HEALTH_UPTIME: '1',
    YB_EXIT_WITH_PARENT: 'true',
  };
  delete env.YB_API_TOKEN;
  delete env.YB_ETCD_PORT;
  router = spawn(process.execPath, [join(ROOT, 'dist', 'bin', 'yb-router.js')], { env, stdio: 'ignore' });
  await until('the router answers', () =>
    fetch(`http://127.0.0.1:${admin}/healthz`).then(
      (x) => x.ok,
      () => false,
    ),
  );
  const a = await startYbd(apiA!, sshA!, /Yunbang is running/);
  await startYbd(apiB!, sshB!, /standing by/);
  token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
  // Everything below goes through the standby B, which forwards it to the leader A.
  await yb(apiB!, ['apps:create', APP]);
  repo = await fixtureRepo('dockerfile-hello', dataDir);
  const first = await push(apiB!);
  assert.equal(first.code, 0, first.output);
  await yb(apiB!, ['ps:scale', 'web=2', '-a', APP]);
  assert.equal((await httpGet(routerPort, HOST)).body, EXPECTED);
  assert.match(a.out(), /Yunbang is running/);
});

after(async () => {
  for (const y of ybds) if (alive(y)) y.child.kill('SIGKILL');
  router?.kill('SIGTERM');
  await cleanupDocker(instance);
  await cluster?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const alive = (y: Ybd) => y.child.exitCode === null && y.child.signalCode === null;
const leader = () => ybds.find((y) => alive(y) && /Yunbang is running/.test(y.out()))!;
const standby = () => ybds.find((y) => alive(y) && !/Yunbang is running/.test(y.out()))!;

test('the leader killed with -9: the standby leads within seconds, the app keeps serving, deploys work again', async () => {
  const [a, b] = [leader(), standby()];
  const load = startLoad(routerPort, HOST, { keepAlive: 2, fresh: 1, maxSeconds: 120, pauseMs: 5 });
  await until('traffic flowing', () => load.result.requests > 50);
  const t0 = Date.now();
  a.child.kill('SIGKILL');
  await until('the standby leads', () => /Yunbang is running/.test(b.out()), 60_000);
  const led = Date.now();
  await until('the API answers on the new leader', async () => (await yb(b.api, ['apps', '--json'], true)).code === 0, 30_000);
  const answered = Date.now();
  console.log(`# failover: the standby led ${((led - t0) / 1000).toFixed(1)} s after the kill, its API answered at ${((answered - t0) / 1000).toFixed(1)} s`);
  await yb(b.api, ['config:set', 'AFTER=failover', '-a', APP]);
  const ps = JSON.parse((await yb(b.api, ['ps', '-a', APP, '--json'])).stdout) as Array<{ name: string; state: string }>;
  assert.deepEqual(
    ps.map((p) => `${p.name}:${p.state}`),
    ['web.1:up', 'web.2:up'],
  );
  const r = await load.stop();
  assert.equal(r.failures, 0, `failed requests: ${r.samples.join(' | ')}`);
  assert.ok(r.requests > 100, `traffic was sent (${r.requests})`);
});

test('a deploy cut short by the death of the leader fails cleanly, and the retry succeeds on the next leader', async () => {
  const [apiC, sshC] = await freePorts(2);
  const c = await startYbd(apiC!, sshC!, /standing by/);
  const b = leader();
  // A commit whose build is slow enough to be killed in the middle of it.
  writeFileSync(join(repo, 'public', 'slow.txt'), 'slow\n');
  appendFileSync(join(repo, 'Dockerfile'), `\nRUN echo ${Date.now()} && sleep 8\n`); // never in the build cache
  await git(repo, ['add', '-A']);
  await git(repo, ['commit', '-qm', 'slow build']);
  const pushing = push(c.api); // through the standby C, to the leader B
  await until('the build runs', async () => (await yb(c.api, ['builds', '-a', APP, '--json'], true)).stdout.includes('"building"'), 60_000);
  b.child.kill('SIGKILL');
  const cut = await pushing;
  assert.notEqual(cut.code, 0, `the push whose leader died fails:\n${cut.output}`);
  await until('C leads', () => /Yunbang is running/.test(c.out()), 60_000);
  await until('the API answers on C', async () => (await yb(c.api, ['apps', '--json'], true)).code === 0, 30_000);
  const releases = JSON.parse((await yb(c.api, ['releases', '-a', APP, '--json'])).stdout) as Array<{ status: string }>;
  assert.ok(!releases.some((r) => r.status === 'pending'), `no release is left pending: ${JSON.stringify(releases)}`);
  const retry = await push(c.api);
  assert.equal(retry.code, 0, retry.output);
  assert.equal((await httpGet(routerPort, HOST, '/slow.txt')).body.trim(), 'slow');
});

test('losing one of three etcd members under load changes nothing: the app, the API and deploys carry on', async () => {
  const c = leader();
  const load = startLoad(routerPort, HOST, { keepAlive: 2, fresh: 1, maxSeconds: 120, pauseMs: 5 });
  await until('traffic flowing', () => load.result.requests > 50);
  cluster.kill(0);
  try {
    await yb(c.api, ['config:set', 'MEMBER=down', '-a', APP]);
    assert.equal((await httpGet(routerPort, HOST)).body, EXPECTED);
    const sent = load.result.requests;
    await until('traffic keeps flowing', () => load.result.requests > sent + 200, 30_000);
  } finally {
    await cluster.start(0);
  }
  const r = await load.stop();
  assert.equal(r.failures, 0, `failed requests: ${r.samples.join(' | ')}`);
  assert.ok(alive(c), `the leader keeps its lease:\n${c.out().slice(-2000)}`);
});
