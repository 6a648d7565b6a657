// yb-router as its own process with cluster workers: each worker's own SO_REUSEPORT listeners, a second router refused
// the taken port, routing through every worker, applied-revision publishing, admin endpoints, and a graceful SIGTERM (in-flight request finishes, record removed, exit 0).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { startEtcd, startUpstream, uniquePrefix, putRoute, putEndpoint, freePort, spawnRouter, type Etcd, type Upstream } from './harness.js';
import { keys } from '../../../src/store/keys.js';

let etcd: Etcd | undefined;
let child: ChildProcess | undefined;
const ups: Upstream[] = [];
after(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
  await Promise.all(ups.map((u) => u.close()));
  await etcd?.close();
});

/** The pids owning TCP listening sockets on 127.0.0.1:`port` (one entry per socket). */
function listenerPids(port: number): number[] {
  const out = execFileSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' });
  return [...out.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
}

/** Resolves when routers/<id> holds a revision ≥ rev (watched, not polled). */
async function routerRecordAtLeast(e: Etcd, key: string, rev: number): Promise<{ id: string; revision: number; addr: string }> {
  const read = async () => {
    const v = await e.client.get(key).string();
    return v ? (JSON.parse(v) as { id: string; revision: number; addr: string }) : undefined;
  };
  const w = await e.client.watch().key(key).create();
  try {
    const now = await read();
    if (now && now.revision >= rev) return now;
    return await new Promise((resolve) =>
      w.on('put', (kv) => {
        const r = JSON.parse(kv.value.toString()) as { id: string; revision: number; addr: string };
        if (r.revision >= rev) resolve(r);
      }),
    );
  } finally {
    await w.cancel();
  }
}

test('yb-router with 2 workers: routes, publishes, serves /healthz and /metrics, drains on SIGTERM', async () => {
  etcd = await startEtcd();
  const prefix = uniquePrefix();
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let slowStarted!: () => void;
  const slowBegun = new Promise<void>((r) => (slowStarted = r));
  const u = await startUpstream('proc', (req, res) => {
    if (req.url === '/slow') {
      slowStarted();
      void released.then(() => res.end('slow done'));
      return;
    }
    res.end(`pid-independent ${req.url}`);
  });
  ups.push(u);
  await putRoute(etcd.client, prefix, 'proc.localhost', 'proc');
  await putEndpoint(etcd.client, prefix, 'proc', 'web.1', u.port);

  const port = await freePort();
  const adminPort = await freePort();
  const tlsPort = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'yb-router-proc-')); // the fallback certificate goes here
  after(() => rmSync(dataDir, { recursive: true, force: true }));
  const proc = await spawnRouter({
    YB_ETCD_ENDPOINTS: etcd.etcd.endpoint,
    YB_ETCD_PREFIX: prefix,
    YB_ROUTER_ADDR: `127.0.0.1:${port}`,
    YB_ROUTER_ADMIN_ADDR: `127.0.0.1:${adminPort}`,
    YB_ROUTER_TLS_ADDR: `127.0.0.1:${tlsPort}`,
    YB_DATA_DIR: dataDir,
    YB_ROUTER_WORKERS: '2',
    YB_LOG_LEVEL: 'warn',
  });
  child = proc.child;
  const exited = proc.exited;
  const url = `http://127.0.0.1:${port}`;

  // Each worker accepts on its own SO_REUSEPORT socket, for HTTP and HTTPS alike; the primary holds no listener (it
  // would otherwise accept every connection and pass it over IPC). `ss` lists a port's listening sockets with owners.
  for (const p of [port, tlsPort]) {
    const owners = listenerPids(p);
    assert.equal(owners.length, 2, `two listening sockets on ${p}: ${owners.join(', ')}`);
    assert.equal(new Set(owners).size, 2, 'one per worker');
    assert.ok(!owners.includes(child.pid!), 'none is the primary');
  }
  // A second router on the same port fails to start instead of sharing its connections.
  const second = await spawnRouter({
    YB_ETCD_ENDPOINTS: etcd.etcd.endpoint,
    YB_ETCD_PREFIX: prefix,
    YB_ROUTER_ADDR: `127.0.0.1:${port}`,
    YB_ROUTER_ADMIN_ADDR: `127.0.0.1:${await freePort()}`,
    YB_ROUTER_TLS_ADDR: `127.0.0.1:${await freePort()}`,
    YB_DATA_DIR: dataDir,
    YB_ROUTER_WORKERS: '2',
    YB_LOG_LEVEL: 'warn',
    YB_ROUTER_ID: 'second',
  }).then(
    (r) => (r.child.kill('SIGKILL'), 'started'),
    (err: Error) => err.message,
  );
  assert.match(second, /EADDRINUSE|in use/, 'the second router refuses the taken port');
  assert.equal(listenerPids(port).length, 2, 'the first router still holds both sockets');

  // Many requests on fresh connections land on both workers; all are routed.
  for (let i = 0; i < 20; i++) {
    const r = await request(url, { headers: { host: 'proc.localhost', connection: 'close' } });
    assert.equal(r.statusCode, 200);
    await r.body.dump();
  }
  // A change is applied by every worker before its revision is published.
  const u2 = await startUpstream('proc-new');
  ups.push(u2);
  await putRoute(etcd.client, prefix, 'new.localhost', 'procnew');
  const rev = await putEndpoint(etcd.client, prefix, 'procnew', 'web.1', u2.port);
  const ids = await etcd.client.getAll().prefix(keys(prefix).routersPrefix()).keys();
  assert.equal(ids.length, 1);
  const rec = await routerRecordAtLeast(etcd, ids[0]!, rev);
  assert.equal(rec.addr, `127.0.0.1:${port}`);
  for (let i = 0; i < 10; i++) {
    const r = await request(url, { headers: { host: 'new.localhost', connection: 'close' } });
    assert.equal(r.statusCode, 200, 'every worker has the new table');
    assert.equal((JSON.parse(await r.body.text()) as { name: string }).name, 'proc-new');
  }

  const health = await request(`http://127.0.0.1:${adminPort}/healthz`);
  assert.equal(health.statusCode, 200);
  const h = (await health.body.json()) as { ok: boolean; workers: number; etcdConnected: boolean; revision: number };
  assert.equal(h.workers, 2);
  assert.ok(h.revision >= rev);
  const metrics = await (await request(`http://127.0.0.1:${adminPort}/metrics`)).body.text();
  assert.match(metrics, /yb_router_requests_total\{app="proc",code="2xx"\} 20\n/, 'metrics summed over workers');
  assert.match(metrics, /yb_router_requests_total\{app="procnew",code="2xx"\} 10\n/);
  assert.match(metrics, /yb_router_workers 2/);

  // SIGTERM with a request in flight: it completes, then the router deregisters and exits 0.
  const slow = request(`${url}/slow`, { headers: { host: 'proc.localhost' } });
  await slowBegun;
  child.kill('SIGTERM');
  const gone = new Promise<void>((resolve) => {
    void etcd!.client
      .watch()
      .key(ids[0]!)
      .create()
      .then((w) => {
        w.on('delete', () => void w.cancel().then(resolve));
        void etcd!.client
          .get(ids[0]!)
          .string()
          .then((v) => v === null && void w.cancel().then(resolve));
      });
  });
  await gone; // deregistered before draining finishes
  release();
  const r = await slow;
  assert.equal(r.statusCode, 200);
  assert.equal(await r.body.text(), 'slow done');
  assert.equal(await exited, 0, proc.stderr());
});
