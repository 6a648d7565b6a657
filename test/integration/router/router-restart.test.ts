// Two yb-router processes on one etcd prefix, as on two hosts behind a load balancer: while one is stopped
// (SIGTERM), killed (SIGKILL) and started again, the other serves every request, route changes made meanwhile
// are applied and confirmed by the live router alone, and the restarted one comes back with the current table.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { startEtcd, startUpstream, uniquePrefix, putRoute, putEndpoint, freePort, spawnRouter, type Etcd, type Upstream } from './harness.js';
import { eventually } from '../../helpers/tls-client.js';
import { keys } from '../../../src/store/keys.js';

let etcd: Etcd | undefined;
const children = new Set<ChildProcess>();
const ups: Upstream[] = [];
const dirs: string[] = [];
after(async () => {
  await Promise.all(
    [...children].map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => (c.once('exit', r), c.kill('SIGKILL'))) : undefined)),
  );
  await Promise.all(ups.map((u) => u.close()));
  await etcd?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface RouterProc {
  id: string;
  port: number;
  child: ChildProcess;
  exited: Promise<number | null>;
}

/** Starts yb-router `id` on `port` (1 worker) and resolves once it listens. */
async function startRouterProcess(prefix: string, id: string, port: number): Promise<RouterProc> {
  const dataDir = mkdtempSync(join(tmpdir(), `yb-router-${id}-`));
  dirs.push(dataDir);
  const { child, exited } = await spawnRouter({
    YB_ETCD_ENDPOINTS: etcd!.etcd.endpoint,
    YB_ETCD_PREFIX: prefix,
    YB_ROUTER_ID: id,
    YB_ROUTER_ADDR: `127.0.0.1:${port}`,
    YB_ROUTER_ADMIN_ADDR: `127.0.0.1:${await freePort()}`,
    YB_ROUTER_TLS_ADDR: `127.0.0.1:${await freePort()}`,
    YB_DATA_DIR: dataDir,
    YB_ROUTER_WORKERS: '1',
    YB_ROUTER_DRAIN_TIMEOUT: '2',
    YB_LOG_LEVEL: 'warn',
  });
  children.add(child);
  void exited.then(() => children.delete(child));
  return { id, port, child, exited };
}

/** The routers/ records: id → applied revision. */
async function routerRecords(prefix: string): Promise<Record<string, number>> {
  const all = await etcd!.client.getAll().prefix(keys(prefix).routersPrefix()).strings();
  return Object.fromEntries(
    Object.values(all)
      .map((v) => JSON.parse(v) as { id: string; revision: number })
      .map((r) => [r.id, r.revision]),
  );
}

/** Requests through `port` for host `host` until stopped: on kept-alive connections and on fresh ones. */
function steadyLoad(port: number, host: string) {
  const agent = new Agent({ connections: 4 });
  const counts = { ok: 0, failed: [] as string[] };
  let running = true;
  const loop = async (fresh: boolean) => {
    while (running) {
      try {
        const r = await request(`http://127.0.0.1:${port}/`, { dispatcher: agent, headers: fresh ? { host, connection: 'close' } : { host } });
        await r.body.dump();
        if (r.statusCode === 200) counts.ok++;
        else counts.failed.push(`status ${r.statusCode}`);
      } catch (err) {
        counts.failed.push((err as Error).message);
      }
    }
  };
  const loops = [loop(false), loop(false), loop(true)];
  return {
    counts,
    async stop() {
      running = false;
      await Promise.all(loops);
      await agent.close();
    },
  };
}

test('router restart while another router serves: no failed request through it, changes confirmed by the live one', async () => {
  etcd = await startEtcd();
  const prefix = uniquePrefix();
  const u1 = await startUpstream('one');
  const u2 = await startUpstream('two');
  ups.push(u1, u2);
  await putRoute(etcd.client, prefix, 'pair.localhost', 'pair');
  await putEndpoint(etcd.client, prefix, 'pair', 'web.1', u1.port);
  const portA = await freePort();
  let a = await startRouterProcess(prefix, 'router-a', portA);
  const b = await startRouterProcess(prefix, 'router-b', await freePort());
  await eventually(
    'both routers registered',
    () => routerRecords(prefix),
    (m) => 'router-a' in m && 'router-b' in m,
    10_000,
  );

  const load = steadyLoad(b.port, 'pair.localhost');
  await new Promise((r) => setTimeout(r, 300));

  // A stops gracefully: it leaves routers/ at once, so a rollout waits for B only.
  a.child.kill('SIGTERM');
  assert.equal(await a.exited, 0);
  assert.deepEqual(Object.keys(await routerRecords(prefix)), ['router-b']);
  const rev1 = await putEndpoint(etcd.client, prefix, 'pair', 'web.2', u2.port);
  await eventually(
    'router-b confirmed the change made while router-a was down',
    () => routerRecords(prefix),
    (m) => (m['router-b'] ?? 0) >= rev1,
    5000,
  );

  // A comes back with the table as it is now (both endpoints) and registers again.
  a = await startRouterProcess(prefix, 'router-a', portA);
  await eventually(
    'router-a registered at the current revision',
    () => routerRecords(prefix),
    (m) => (m['router-a'] ?? 0) >= rev1,
    10_000,
  );
  const seen = new Set<string>();
  for (let i = 0; i < 6; i++) {
    const r = await request(`http://127.0.0.1:${portA}/`, { headers: { host: 'pair.localhost', connection: 'close' } });
    assert.equal(r.statusCode, 200);
    seen.add((JSON.parse(await r.body.text()) as { name: string }).name);
  }
  assert.deepEqual([...seen].sort(), ['one', 'two'], 'the restarted router balances over the endpoint added while it was down');

  // A crashes (SIGKILL): no deregistration, so its record stays until its lease runs out (10 s); B serves on.
  a.child.kill('SIGKILL');
  await a.exited;
  assert.ok('router-a' in (await routerRecords(prefix)), 'a killed router cannot deregister');
  await eventually(
    "the killed router's lease expired",
    () => routerRecords(prefix),
    (m) => !('router-a' in m),
    20_000,
  );
  a = await startRouterProcess(prefix, 'router-a', portA);
  await eventually(
    'router-a registered again',
    () => routerRecords(prefix),
    (m) => 'router-a' in m,
    10_000,
  );

  await load.stop();
  assert.deepEqual(load.counts.failed, [], 'no request through router-b failed');
  assert.ok(load.counts.ok > 100, `router-b served throughout (${load.counts.ok} requests)`);
  a.child.kill('SIGTERM');
  b.child.kill('SIGTERM');
  assert.equal(await a.exited, 0);
  assert.equal(await b.exited, 0);
});
