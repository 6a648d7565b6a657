// Issue #19 item 3: the host install. scripts/install.sh into a fresh root (systemd cannot be PID 1 here, so the
// units' ExecStart lines are started the way systemd would: test/helpers/systemd-unit.ts), on this test's loopback
// ports set in the installed /etc/yunbang/yunbang.env; an app deployed with the installed `yb` and git push is served
// through the router unit while the ybd unit is stopped and started again (0 failed requests), a re-install upgrades
// in place keeping data and settings, and the router unit's restart is measured. Real etcd, Docker engine, git, HTTP.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT, cleanupDocker, fixtureRepo, git, httpGet } from '../../helpers/platform.js';
import { freePortPair, freePorts } from '../../helpers/ports.js';
import { until } from '../../helpers/until.js';
import { startLoad } from '../../helpers/load.js';
import { UNIT_DIR, startUnit, type RunningUnit } from '../../helpers/systemd-unit.js';

const run = promisify(execFile);
const EXPECTED = readFileSync(join(ROOT, 'test/fixtures/apps/dockerfile-hello/EXPECTED'), 'utf8').trim();
const UNITS = ['yunbang-etcd.service', 'yunbang-router.service', 'yunbang.service'];

const instance = `ybinst${process.env.YB_TEST_RUN_ID ?? ''}${Math.random().toString(36).slice(2, 7)}`;
// Under /var/tmp, not a private tmpfs: builds bind-mount paths under the data directory, resolved by the engine on the host.
const root = mkdtempSync('/var/tmp/yb-install-test-');
const work = mkdtempSync('/var/tmp/yb-install-work-');
const envFile = join(root, 'etc/yunbang/yunbang.env');
const yb = join(root, 'opt/yunbang/bin/yb');
const units = new Map<string, RunningUnit>();
const ports = { api: 0, router: 0, admin: 0, tls: 0, ssh: 0, etcd: 0 };
const HOST = 'inst-web.localhost';

async function install(...args: string[]): Promise<string> {
  const r = await run('bash', [join(ROOT, 'scripts/install.sh'), '--root', root, ...args], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, timeout: 600_000 });
  return r.stderr;
}

/** Sets NAME=value in the installed settings file the way an operator edits it: the line (or its commented default) in place. */
function setting(text: string, name: string, value: string): string {
  const re = new RegExp(`^#?${name}=.*$`, 'm');
  return re.test(text) ? text.replace(re, `${name}=${value}`) : `${text}${name}=${value}\n`;
}

function start(name: string): RunningUnit {
  const u = startUnit(root, name, join(work, `${name}.log`));
  units.set(name, u);
  return u;
}

async function stop(name: string): Promise<void> {
  await units.get(name)?.stop();
  units.delete(name);
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false; // not listening (yet)
  }
}

async function untilUp(name: string, url: string): Promise<void> {
  try {
    await until(
      `${name} to answer ${url}`,
      async () => {
        if (units.get(name)?.exited()) throw new Error(`${name} exited`);
        return answers(url);
      },
      120_000,
    );
  } catch (err) {
    const log = existsSync(join(work, `${name}.log`)) ? readFileSync(join(work, `${name}.log`), 'utf8').slice(-4000) : '';
    throw new Error(`${(err as Error).message}; its output:\n${log}`);
  }
}

function ybEnv(): NodeJS.ProcessEnv {
  const token = readFileSync(join(root, 'var/lib/yunbang/admin-token'), 'utf8').trim();
  return { ...process.env, YB_API_URL: `http://127.0.0.1:${ports.api}`, YB_API_TOKEN: token, NO_COLOR: '1', HOME: work };
}

async function served(): Promise<boolean> {
  const r = await httpGet(ports.router, HOST).catch(() => ({ status: 0, body: '' }));
  return r.status === 200 && r.body === EXPECTED;
}

before(async () => {
  chmodSync(root, 0o755);
  const [api, router, admin, tls, ssh] = await freePorts(5);
  let etcd = await freePortPair();
  while ([api, router, admin, tls, ssh].some((p) => p === etcd || p === etcd + 1)) etcd = await freePortPair();
  Object.assign(ports, { api, router, admin, tls, ssh, etcd });
});

after(async () => {
  for (const name of [...units.keys()].reverse()) await stop(name);
  await cleanupDocker(instance);
  rmSync(root, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

test('install.sh lays out the prefix, yb, the settings file and three units that systemd accepts', async () => {
  await install();
  for (const p of [
    'opt/yunbang/node/bin/node',
    'opt/yunbang/dist/bin/ybd.js',
    'opt/yunbang/console/dist/index.html',
    'opt/yunbang/buildpacks/order',
    'opt/yunbang/images/services',
  ]) {
    assert.ok(existsSync(join(root, p)), `${p} is installed`);
  }
  assert.ok(existsSync(join(root, 'opt/yunbang/node_modules/fastify/package.json')), 'production dependencies are installed');
  assert.ok(!existsSync(join(root, 'opt/yunbang/node_modules/typescript')), 'development dependencies are not');
  // The install runs on its own copy of the runtime, not on the checkout's cache.
  assert.match((await run(join(root, 'opt/yunbang/node/bin/node'), ['--version'])).stdout, /^v24\./);
  assert.equal(readlinkSync(join(root, 'usr/local/bin/yb')), '/opt/yunbang/bin/yb');
  assert.equal(statSync(envFile).mode & 0o777, 0o600);
  const env = readFileSync(envFile, 'utf8');
  assert.match(env, /^YB_DATA_DIR=\/var\/lib\/yunbang$/m);
  assert.match(env, /^YB_ETCD_ENDPOINTS=http:\/\/127\.0\.0\.1:2379$/m);
  assert.match(env, /^#YB_API_ADDR=127\.0\.0\.1:5050$/m, 'every other setting is listed at its default');
  for (const u of UNITS) assert.ok(existsSync(join(root, UNIT_DIR, u)));
  assert.match(readFileSync(join(root, UNIT_DIR, 'yunbang.service'), 'utf8'), /^Environment=YB_ROUTER=external$/m);

  assert.ok(existsSync(join(root, 'etc/logrotate.d/yunbang')));

  // A prefix the unit files could not name unquoted, or one that climbs out, is refused before anything is written;
  // uninstall never removes a directory that is not an install.
  for (const bad of ['/opt/yun bang', '/opt/../etc', 'opt/yunbang', '/']) {
    const r = await install('--prefix', bad).then(
      () => '',
      (e: { stderr: string }) => e.stderr,
    );
    assert.match(r, /--prefix must be an absolute path of letters, digits/, bad);
  }
  const usr = await install('--prefix', '/etc').then(
    () => '',
    (e: { stderr: string }) => e.stderr,
  );
  assert.match(usr, /exists and is not a Yunbang install/, 'a directory that is not an install is never replaced');
  assert.ok(existsSync(join(root, 'etc/logrotate.d/yunbang')), 'it is left as it was');
  const notOurs = await run('bash', [join(ROOT, 'scripts/uninstall.sh'), '--root', root, '--prefix', '/etc']).then(
    () => '',
    (e: { stderr: string }) => e.stderr,
  );
  assert.match(notOurs, /does not look like a Yunbang install/);
  assert.ok(existsSync(envFile), 'nothing was removed');

  // systemd's own check, on copies naming the installed paths (the root has no systemd of its own to check against).
  const verify = join(work, 'verify');
  mkdirSync(verify);
  for (const u of UNITS) {
    const text = readFileSync(join(root, UNIT_DIR, u), 'utf8').replaceAll('/opt/yunbang', join(root, 'opt/yunbang'));
    writeFileSync(join(verify, u), text);
  }
  const r = await run('systemd-analyze', ['verify', ...UNITS.map((u) => join(verify, u))]).catch((e: { stdout: string; stderr: string }) => e);
  assert.equal(`${r.stdout}${r.stderr}`.trim(), '', 'systemd-analyze verify has nothing to say');
});

test('the units serve an app deployed with the installed yb; restarting ybd drops no request, the router blips briefly', async () => {
  let env = readFileSync(envFile, 'utf8');
  const etcdUrl = `http://127.0.0.1:${ports.etcd}`;
  const peerUrl = `http://127.0.0.1:${ports.etcd + 1}`;
  for (const [k, v] of Object.entries({
    YB_DATA_DIR: join(root, 'var/lib/yunbang'),
    YB_LOG_DIR: join(root, 'var/log/yunbang'),
    YB_API_ADDR: `127.0.0.1:${ports.api}`,
    YB_ROUTER_ADDR: `127.0.0.1:${ports.router}`,
    YB_ROUTER_ADMIN_ADDR: `127.0.0.1:${ports.admin}`,
    YB_ROUTER_TLS_ADDR: `127.0.0.1:${ports.tls}`,
    YB_SSH_ADDR: `127.0.0.1:${ports.ssh}`,
    YB_ETCD_ENDPOINTS: etcdUrl,
    YB_INSTANCE: instance,
    YB_ROUTER_WORKERS: '1',
    YB_HEALTH_UPTIME: '1',
    ETCD_DATA_DIR: join(root, 'var/lib/yunbang/etcd'),
    ETCD_LISTEN_CLIENT_URLS: etcdUrl,
    ETCD_ADVERTISE_CLIENT_URLS: etcdUrl,
    ETCD_LISTEN_PEER_URLS: peerUrl,
    ETCD_INITIAL_ADVERTISE_PEER_URLS: peerUrl,
    ETCD_INITIAL_CLUSTER: `yunbang=${peerUrl}`,
  }))
    env = setting(env, k, v);
  writeFileSync(envFile, env);

  start('yunbang-etcd.service');
  await untilUp('yunbang-etcd.service', `${etcdUrl}/health`);
  // ybd first, with the router unit not running (as after a router crash): it must not start a router of its own,
  // which would take the router unit's ports.
  start('yunbang.service');
  await untilUp('yunbang.service', `http://127.0.0.1:${ports.api}/healthz`);
  assert.ok(!existsSync(join(root, 'var/lib/yunbang/etcd.pid')), 'ybd started no etcd of its own');
  assert.ok(!existsSync(join(root, 'var/lib/yunbang/router.pid')), 'ybd started no router of its own');
  assert.equal(await answers(`http://127.0.0.1:${ports.admin}/healthz`), false, 'nothing serves the router admin port');
  start('yunbang-router.service');
  await untilUp('yunbang-router.service', `http://127.0.0.1:${ports.admin}/healthz`);

  // Deploy with the installed yb: apps:create adds the git remote and its credential helper (the installed yb again).
  const repo = await fixtureRepo('dockerfile-hello', work);
  await run(yb, ['apps:create', 'inst-web'], { cwd: repo, env: ybEnv() });
  const push = await git(repo, ['push', 'yb', 'main'], ybEnv());
  assert.equal(push.code, 0, push.output);
  await until('inst-web served through the router unit', served, 60_000);
  const version = (await run(yb, ['version'], { env: ybEnv() })).stdout;
  assert.match(version, /Node\.js v24\./);

  // A re-install is an upgrade in place: settings kept (the defaults beside them in .new), data kept.
  const again = await install();
  assert.equal(readFileSync(envFile, 'utf8'), env, 'the edited settings file is not overwritten');
  assert.ok(existsSync(`${envFile}.new`), `the new defaults are written beside it (${again.trim().split('\n').at(-1)})`);
  assert.ok(existsSync(join(root, 'var/lib/yunbang/repos/inst-web.git')), 'the app repository is kept');
  assert.match(again, /the installed program and units were already these/, 'a re-run of the same version would restart nothing');
  // The yb link: the launcher finds its prefix through links.
  const link = join(work, 'yb');
  symlinkSync(yb, link);
  assert.match((await run(link, ['--version'])).stdout, /^\d+\.\d+\.\d+/);

  // systemctl restart yunbang under load: the router is its own unit, so no request fails.
  const load = startLoad(ports.router, HOST, { keepAlive: 4, fresh: 2, maxSeconds: 180 });
  await until('load flowing', () => load.result.requests > 200, 30_000);
  const t0 = Date.now();
  await stop('yunbang.service');
  const stopped = Date.now() - t0;
  const mid = load.result.requests;
  await until('requests served while ybd is down', () => load.result.requests > mid + 200, 30_000);
  start('yunbang.service');
  await untilUp('yunbang.service', `http://127.0.0.1:${ports.api}/healthz`);
  const up = load.result.requests;
  await until('requests after ybd is back', () => load.result.requests > up + 200, 30_000);
  const result = await load.stop();
  console.log(
    `ybd restart under load: ${result.requests} requests, ${result.failures} failed; ybd stopped in ${stopped} ms, back ${Date.now() - t0} ms after the stop began`,
  );
  assert.equal(result.failures, 0, `failed requests across the ybd restart: ${result.samples.join('; ')}`);
  assert.ok((await run(yb, ['ps', '-a', 'inst-web'], { env: ybEnv() })).stdout.includes('web'), 'the restarted ybd answers for the app');

  // systemctl restart yunbang-router: a short blip. Sequential fresh requests measure how long none was answered.
  let firstFail = 0;
  let lastFail = 0;
  let probing = true;
  const probe = (async () => {
    while (probing) {
      if (!(await served())) {
        lastFail = Date.now();
        firstFail ||= lastFail;
      }
    }
  })();
  const r0 = Date.now();
  await stop('yunbang-router.service');
  start('yunbang-router.service');
  await until('served again after the router restart', served, 60_000);
  const back = Date.now() - r0;
  await until('a few more answers', async () => Date.now() - r0 > back + 500);
  probing = false;
  await probe;
  const blip = firstFail ? lastFail - firstFail : 0;
  console.log(`router unit restart: requests failed for ${blip} ms; served again ${back} ms after the stop began`);
  assert.ok(back < 20_000, `the router serves again within 20 s (${back} ms)`);
  assert.ok(blip < 15_000, `the router's blip is short (${blip} ms)`);
  assert.ok(lstatSync(join(root, 'var/log/yunbang/router.log')).size > 0, "the router's access log is in /var/log/yunbang");

  // logrotate with the installed entry (paths moved into this root): router.log is copied and truncated, the router
  // keeps writing to it and ybd keeps reading the router's lines of the app from it.
  const rotate = join(work, 'logrotate.conf');
  writeFileSync(rotate, readFileSync(join(root, 'etc/logrotate.d/yunbang'), 'utf8').replaceAll('/var/log/yunbang', join(root, 'var/log/yunbang')));
  await run('logrotate', ['-f', '-s', join(work, 'logrotate.state'), rotate]);
  assert.ok(existsSync(join(root, 'var/log/yunbang/router.log.1')), 'router.log was rotated');
  const marker = `/after-rotation-${Math.random().toString(36).slice(2, 8)}`;
  await until('the router line of a request after the rotation in yb logs', async () => {
    await httpGet(ports.router, HOST, marker);
    return (await run(yb, ['logs', '-a', 'inst-web', '--source', 'router', '-n', '50'], { env: ybEnv() })).stdout.includes(marker);
  });
  assert.ok(existsSync(join(root, 'var/log/yunbang/apps/inst-web.jsonl')), "the app's stored log stream is in /var/log/yunbang");
});

test('uninstall.sh removes the program and units, keeps state and settings; --purge removes those too', async () => {
  for (const name of [...units.keys()].reverse()) await stop(name);
  await run('bash', [join(ROOT, 'scripts/uninstall.sh'), '--root', root], { timeout: 60_000 });
  for (const p of ['opt/yunbang', 'usr/local/bin/yb', 'etc/logrotate.d/yunbang', ...UNITS.map((u) => `${UNIT_DIR}/${u}`)]) {
    assert.ok(!existsSync(join(root, p)) && !lstatSync(join(root, p), { throwIfNoEntry: false }), `${p} is removed`);
  }
  for (const p of ['var/lib/yunbang/admin-token', 'etc/yunbang/yunbang.env', 'var/log/yunbang']) assert.ok(existsSync(join(root, p)), `${p} is kept`);
  await run('bash', [join(ROOT, 'scripts/uninstall.sh'), '--root', root, '--purge'], { timeout: 60_000 });
  for (const p of ['var/lib/yunbang', 'etc/yunbang', 'var/log/yunbang']) assert.ok(!existsSync(join(root, p)), `${p} is purged`);
});
