// A test run that is killed (a timeout, a SIGKILL) must not leave its platform running: ybd notices its parent is
// gone (YB_EXIT_WITH_PARENT, which the test helper sets) and stops what it started, etcd and the router included.
// Nor may a start that fails half-way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../../helpers/platform.js';
import { freePortPair } from '../../helpers/ports.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('a platform whose starter is killed with SIGKILL stops by itself, with its etcd and router', async () => {
  const script = `import { startPlatform } from ${JSON.stringify(join(ROOT, 'test/helpers/platform.ts'))};
    const p = await startPlatform();
    console.log(JSON.stringify({ ybd: p.child.pid, dataDir: p.dataDir }));
    setInterval(() => undefined, 1000);`;
  const starter = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const started = await new Promise<{ ybd: number; dataDir: string }>((resolve, reject) => {
    let out = '';
    starter.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line) as { ybd: number; dataDir: string });
    });
    starter.once('exit', (code) => reject(new Error(`the starter exited (${code}) before the platform ran:\n${out}`)));
  });
  const pids = [started.ybd, ...['etcd.pid', 'router.pid'].map((f) => Number(readFileSync(join(started.dataDir, f), 'utf8').trim()))];
  assert.ok(pids.every(alive), `all running: ${pids}`);
  starter.kill('SIGKILL');
  const deadline = Date.now() + 30_000;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(pids.filter(alive), [], 'ybd, etcd and the router are gone');
});

test('a start that fails part-way (no Docker engine at DOCKER_HOST) stops the etcd it had started', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'yb-test-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    YB_DATA_DIR: dataDir,
    YB_ETCD_PORT: String(await freePortPair()),
    DOCKER_HOST: `unix://${join(dataDir, 'no-docker.sock')}`,
  };
  delete env.YB_ETCD_ENDPOINTS;
  const r = await promisify(execFile)(process.execPath, [join(ROOT, 'dist/bin/ybd.js')], { env, timeout: 60_000 }).catch(
    (e: { code: number; stderr: string }) => e,
  );
  assert.equal((r as { code: number }).code, 1);
  assert.match((r as { stderr: string }).stderr, /no-docker\.sock/);
  const etcdPid = Number(readFileSync(join(dataDir, 'etcd.pid'), 'utf8').trim());
  assert.ok(etcdPid > 0, 'etcd had been started');
  assert.equal(alive(etcdPid), false, 'the embedded etcd went with the failed start');
  rmSync(dataDir, { recursive: true, force: true });
});
