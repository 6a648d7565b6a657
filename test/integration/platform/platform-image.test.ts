// Issue #19 item 2: the platform as an image. Builds yunbang/platform from the top-level Dockerfile
// (scripts/build-platform-image.sh, on the local stack image), runs it the way docs/operating.md says (host
// network and PID namespace, the host's Docker socket, the data volume at the same path on both sides), deploys an app through it
// with the real CLI, stops the container, starts it again, and the app is served again. Real Docker engine.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT, cleanupDocker, httpGet } from '../../helpers/platform.js';
import { freePortPair, freePorts } from '../../helpers/ports.js';
import { until } from '../../helpers/until.js';

const run = promisify(execFile);
const HELLO = join(ROOT, 'test/fixtures/apps/dockerfile-hello');
const EXPECTED = readFileSync(join(HELLO, 'EXPECTED'), 'utf8').trim();
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

const instance = `ybimg${process.env.YB_TEST_RUN_ID ?? ''}${Math.random().toString(36).slice(2, 7)}`;
const container = `${instance}-platform`;
// The data volume: a host directory mounted at the same path inside, since builds bind-mount paths under it.
const dataDir = mkdtempSync('/var/tmp/yb-image-test-');
let api = 0;
let router = 0;

async function yb(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
  return run(process.execPath, [join(ROOT, 'dist', 'bin', 'yb.js'), ...args], {
    env: { ...process.env, YB_API_URL: `http://127.0.0.1:${api}`, YB_API_TOKEN: token, NO_COLOR: '1', HOME: dataDir },
    maxBuffer: 16 * 1024 * 1024,
  });
}

async function healthy(): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${api}/healthz`)).ok;
  } catch {
    return false; // not listening yet
  }
}

/** Waits for the API, or fails with the container's last log lines. */
async function untilHealthy(what: string): Promise<void> {
  try {
    await until(what, healthy, 120_000);
  } catch (err) {
    const r = await run('docker', ['logs', '--tail', '60', container]).catch((e: Error) => ({ stdout: '', stderr: e.message }));
    throw new Error(`${(err as Error).message}; the container's log:\n${r.stdout}${r.stderr}`);
  }
}

before(async () => {
  await run('bash', [join(ROOT, 'scripts', 'build-platform-image.sh')], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  const [a, r, admin, ssh, tls] = await freePorts(5);
  api = a!;
  router = r!;
  let etcd = await freePortPair();
  while ([a, r, admin, ssh, tls].some((p) => p === etcd || p === etcd + 1)) etcd = await freePortPair();
  // The command of docs/operating.md, with this test's ports, instance and data directory.
  await run('docker', [
    'run',
    '-d',
    '--name',
    container,
    '--network',
    'host',
    '--pid',
    'host',
    '-v',
    '/var/run/docker.sock:/var/run/docker.sock',
    '-v',
    `${dataDir}:${dataDir}`,
    '-e',
    `YB_DATA_DIR=${dataDir}`,
    '-e',
    `YB_INSTANCE=${instance}`,
    '-e',
    `YB_API_ADDR=127.0.0.1:${api}`,
    '-e',
    `YB_ROUTER_ADDR=127.0.0.1:${router}`,
    '-e',
    `YB_ROUTER_ADMIN_ADDR=127.0.0.1:${admin}`,
    '-e',
    `YB_ROUTER_TLS_ADDR=127.0.0.1:${tls}`,
    '-e',
    `YB_SSH_ADDR=127.0.0.1:${ssh}`,
    '-e',
    `YB_ETCD_PORT=${etcd}`,
    '-e',
    'YB_ROUTER_WORKERS=1',
    '-e',
    'YB_HEALTH_UPTIME=1',
    `yunbang/platform:${VERSION}`,
  ]);
  await untilHealthy('the platform container to answer /healthz');
});

after(async () => {
  await run('docker', ['rm', '-f', container]).catch(() => undefined);
  await cleanupDocker(instance);
  rmSync(dataDir, { recursive: true, force: true });
});

test('the platform image serves an app deployed through it, and again after the container is stopped and started', async () => {
  // The web console comes with the image: its page at the API's root.
  const page = await fetch(`http://127.0.0.1:${api}/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<div id="root">/);
  const version = await yb(['version']);
  assert.match(version.stdout, new RegExp(`^server ${VERSION.replaceAll('.', '\\.')} at .*\\(Node\\.js v24\\.`, 'm'));
  await yb(['apps:create', 'img-web', '--no-remote']);
  await yb(['builds:create', '-a', 'img-web', '--source', HELLO]);
  await until('img-web served through the containerised router', async () => (await httpGet(router, 'img-web.localhost')).body === EXPECTED);

  await run('docker', ['stop', '-t', '30', container]);
  assert.equal((await run('docker', ['inspect', '-f', '{{.State.Running}}', container])).stdout.trim(), 'false');
  await run('docker', ['start', container]);
  await untilHealthy('the platform to answer again after docker start');
  await until('img-web served again after the restart', async () => {
    const r = await httpGet(router, 'img-web.localhost').catch(() => ({ status: 0, body: '' }));
    return r.status === 200 && r.body === EXPECTED;
  });
  const releases = JSON.parse((await yb(['releases', '--json', '-a', 'img-web'])).stdout) as unknown[];
  assert.equal(releases.length, 1, 'the same release, not a redeploy');
});
