// A start of ybd that fails part-way stops what it had started (src/control-plane/lifecycle.ts, issue #15 item 8):
// with the SSH port taken (the last component to start), ybd says so in one sentence and exits 1, and the embedded
// etcd and the router process it launched are gone, their ports free, the API not listening.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, cleanupDocker, ybdEnv } from '../../helpers/platform.js';
import { freePortPair, freePorts } from '../../helpers/ports.js';
import { until } from '../../helpers/until.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false; // ESRCH: no such process
  }
};
const answers = (url: string) =>
  fetch(url, { signal: AbortSignal.timeout(1000) }).then(
    () => true,
    () => false,
  );

test('a start that fails at its last step stops the router and the embedded etcd it launched, and says why', async (t) => {
  const [api, router, admin, ssh, tls] = await freePorts(5);
  const etcd = await freePortPair();
  const dataDir = mkdtempSync(join(tmpdir(), 'yb-test-'));
  const instance = `ybt${Math.random().toString(36).slice(2, 7)}`;
  const squatter = createServer();
  await new Promise<void>((r) => squatter.listen(ssh, '127.0.0.1', r));
  t.after(async () => {
    squatter.close();
    await cleanupDocker(instance);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const env: NodeJS.ProcessEnv = { ...ybdEnv({ dataDir, instance, api, router, admin, ssh, tls, etcd }), YB_EXIT_WITH_PARENT: 'true' };
  delete env.YB_ETCD_ENDPOINTS;
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'bin', 'ybd.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', r));

  assert.equal(code, 1, out);
  assert.match(out, new RegExp(`ybd: 127\\.0\\.0\\.1:${ssh} is already in use \\(is another ybd running\\?\\); stop it or set YB_API_ADDR / YB_SSH_ADDR\\n`));
  assert.doesNotMatch(out, /Yunbang is running/);
  // It got as far as launching both children (their pid files), so the test sees the undo, not a start that never began.
  const etcdPid = Number(readFileSync(join(dataDir, 'etcd.pid'), 'utf8'));
  const routerPid = Number(readFileSync(join(dataDir, 'router.pid'), 'utf8'));
  assert.ok(etcdPid > 0 && routerPid > 0);
  await until('the router and etcd launched by the failed start to be gone', () => !alive(etcdPid) && !alive(routerPid), 5000);
  assert.equal(await answers(`http://127.0.0.1:${etcd}/health`), false, 'etcd still answers');
  assert.equal(await answers(`http://127.0.0.1:${admin}/healthz`), false, 'the router still answers');
  assert.equal(await answers(`http://127.0.0.1:${api}/openapi.json`), false, 'the API still answers');
});
