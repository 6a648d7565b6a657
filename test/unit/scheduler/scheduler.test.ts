// The scheduler's, monitor's and reconciler's decisions, driven through FakeRuntime (test/helpers/fake-runtime.ts) and
// an in-memory store: rollout order (start new → healthy → switch endpoints in one commit → routers confirm → stop
// old), failed health checks, scaling, crash and restart of a web process, and adoption after a control-plane restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeRuntime } from '../../helpers/fake-runtime.js';
import { MemoryStore } from '../../helpers/memory-store.js';
import { until } from '../../helpers/until.js';
import { Scheduler } from '../../../src/scheduler/scheduler.js';
import { ProcessMonitor } from '../../../src/scheduler/monitor.js';
import { reconcileApp, reconcileOnStart } from '../../../src/scheduler/reconcile.js';
import { AppRecords, type ReleaseRecord } from '../../../src/release/app-records.js';
import type { EndpointRecord, RouterRecord } from '../../../src/store/keys.js';
import { createLogger } from '../../../src/shared/logger.js';
import { YbError } from '../../../src/shared/errors.js';

const log = createLogger('test', 'silent');
const SETTINGS = { healthTimeoutMs: 400, uptimeMs: 0, stopGraceSeconds: 0, routerConfirmTimeoutMs: 2000, oneOffTimeoutMs: 1000 };

async function world(behaviour: ConstructorParameters<typeof FakeRuntime>[0] = {}) {
  const mem = new MemoryStore();
  const store = mem.asStore();
  const runtime = new FakeRuntime(behaviour);
  const apps = new AppRecords(store);
  const scheduler = new Scheduler(store, runtime, SETTINGS, log);
  const app = await apps.createApp('shop', 'red', 'alice');
  const release = async (fields: Partial<ReleaseRecord> = {}) =>
    apps.createRelease({
      app: 'shop',
      image: 'yunbang-app/shop:b',
      imageId: 'sha256:b',
      config: { GREETING: 'hi' },
      processTypes: { web: 'serve' },
      builder: 'buildpacks',
      port: 5000,
      description: 'Deploy',
      createdBy: 'alice',
      ...fields,
    });
  const endpoints = async () =>
    (await mem.list<EndpointRecord>(mem.keys.endpointsPrefix('shop'))).map((e) => `${e.value.release}@${e.value.host}:${e.value.port}`).sort();
  return { mem, store, runtime, apps, scheduler, app, release, endpoints };
}

test('a rollout starts the new processes, switches the endpoints in one commit, waits for every router, then stops the old', async () => {
  const w = await world();
  const v1 = await w.release();
  await w.scheduler.rollout(w.app, v1, () => undefined);
  assert.deepEqual(w.runtime.running(), ['web.1 v1']);
  const [first] = await w.endpoints();

  // A live router that applies a route switch 50 ms after it is committed.
  const key = `${w.mem.keys.routersPrefix()}r1`;
  await w.mem.put(key, { id: 'r1', revision: w.mem.rev, addr: '', updatedAt: '' } satisfies RouterRecord);
  let applying = false;
  const router = setInterval(async () => {
    const r = await w.mem.get<RouterRecord>(key);
    if (!r || applying || r.revision >= w.mem.lastCommit) return;
    applying = true;
    await new Promise((res) => setTimeout(res, 50));
    w.runtime.log.push('router applied');
    await w.mem.put(key, { ...r, revision: w.mem.lastCommit });
    applying = false;
  }, 5);
  try {
    const v2 = await w.release();
    const lines: string[] = [];
    w.runtime.log.length = 0;
    await w.scheduler.rollout(w.app, v2, (l) => lines.push(l));
    assert.deepEqual(w.runtime.log, ['start web.1 v2', 'router applied', 'stop web.1 v1'], 'old stops only after the router switched');
  } finally {
    clearInterval(router);
  }
  const switched = w.mem.changes.filter((c) => c.startsWith('commit'));
  assert.equal(switched.length, 2, 'one commit per rollout');
  assert.match(switched[1]!, /^commit \+\S*endpoints\/shop\/web\/v2\.1\.\w+ -\S*endpoints\/shop\/web\/v1\.1\.\w+$/, 'new in, old out, together');
  assert.deepEqual(w.runtime.running(), ['web.1 v2']);
  const [now] = await w.endpoints();
  assert.match(now!, /^2@127\.0\.0\.1:\d+$/, 'the endpoint is the address the runtime gave');
  assert.notEqual(now, first);
});

test('a process that never listens fails the rollout in one sentence; it is removed and the old release keeps serving', async () => {
  const w = await world({ probesUntilListening: (spec) => (spec.workload.release === 2 ? Infinity : 1) });
  await w.scheduler.rollout(w.app, await w.release(), () => undefined);
  const before = await w.endpoints();
  const err = await w.scheduler.rollout(w.app, await w.release(), () => undefined).catch((e: unknown) => e);
  assert.ok(err instanceof YbError && err.code === 'YB_ERR_UNHEALTHY', String(err));
  assert.match(err.message, /^web\.1 of v2 failed its health check: nothing listened on port 5000 within 0 s/);
  assert.match(err.hint ?? '', /last output:\nlast line/);
  assert.deepEqual(w.runtime.running(), ['web.1 v1']);
  assert.deepEqual(await w.endpoints(), before);
});

test('a process that exits during its check fails it with its exit code', async () => {
  const w = await world({ crashes: (spec) => spec.workload.release === 1 });
  const err = await w.scheduler.rollout(w.app, await w.release(), () => undefined).catch((e: unknown) => e);
  assert.match(String((err as Error).message), /web\.1 of v1 failed its health check: the process exited \(code 1\)/);
  assert.deepEqual(w.runtime.running(), []);
  assert.deepEqual(await w.endpoints(), []);
});

test('the process spec carries the release: command through yb-launch, config and platform env, size, team network, aliases', async () => {
  const w = await world();
  const v1 = await w.release({ processTypes: { web: 'serve', worker: 'work' } });
  await w.apps.putFormation('shop', { type: 'worker', quantity: 1, size: '256M:0.5' });
  await w.scheduler.rollout(w.app, v1, () => undefined);
  const specs = [...w.runtime.processes.values()].map((p) => p.spec).sort((a, b) => a.name.localeCompare(b.name));
  assert.deepEqual(
    specs.map((s) => ({ command: s.command, port: s.port, network: s.network, aliases: s.aliases, memory: s.memoryBytes, cpus: s.nanoCpus, dyno: s.env.DYNO })),
    [
      { command: ['/usr/local/bin/yb-launch', 'serve'], port: 5000, network: 'net-red', aliases: ['shop'], memory: undefined, cpus: undefined, dyno: 'web.1' },
      {
        command: ['/usr/local/bin/yb-launch', 'work'],
        port: undefined,
        network: 'net-red',
        aliases: ['shop.worker'],
        memory: 256 * 1024 ** 2,
        cpus: 5e8,
        dyno: 'worker.1',
      },
    ],
  );
  assert.deepEqual({ ...specs[0]!.env, DYNO: undefined }, { GREETING: 'hi', PORT: '5000', YB_APP: 'shop', YB_RELEASE: 'v1', DYNO: undefined });
  assert.deepEqual(specs[0]!.workload, { kind: 'process', app: 'shop', team: 'red', release: 1, type: 'web', index: 1, gen: specs[0]!.workload.gen });
  assert.equal(specs[0]!.restart, 'on-failure');
});

test('scaling a type starts only the missing indexes and retires only the extra ones', async () => {
  const w = await world();
  const v1 = await w.release();
  await w.scheduler.rollout(w.app, v1, () => undefined);
  w.runtime.log.length = 0;
  await w.scheduler.scaleType(w.app, v1, { type: 'web', quantity: 3 }, () => undefined);
  assert.deepEqual(w.runtime.log, ['start web.2 v1', 'start web.3 v1']);
  assert.equal((await w.endpoints()).length, 3);
  w.runtime.log.length = 0;
  await w.scheduler.scaleType(w.app, v1, { type: 'web', quantity: 1 }, () => undefined);
  assert.deepEqual(w.runtime.log.sort(), ['stop web.2 v1', 'stop web.3 v1']);
  assert.deepEqual(w.runtime.running(), ['web.1 v1']);
  assert.equal((await w.endpoints()).length, 1);
});

test('the monitor withdraws a crashed web process at once and publishes its restart, at its new address, once it listens', async () => {
  const w = await world();
  const v1 = await w.release();
  await w.scheduler.rollout(w.app, v1, () => undefined);
  await w.store.put(w.store.keys.app('shop'), { ...w.app, currentRelease: 1 });
  const monitor = new ProcessMonitor(w.store, w.runtime, w.apps, log, 2000);
  await monitor.start();
  try {
    const [id] = [...w.runtime.processes.keys()];
    const [before] = await w.endpoints();
    w.runtime.crash(id!);
    await until('the endpoint withdrawn', async () => (await w.endpoints()).length === 0, 2000);
    w.runtime.restart(id!);
    await until('the endpoint back', async () => (await w.endpoints()).length === 1, 2000);
    const [after] = await w.endpoints();
    assert.notEqual(after, before, 'the new address, not the old one');
    assert.equal(after, `1@127.0.0.1:${w.runtime.processes.get(id!)!.address!.port}`);
  } finally {
    monitor.stop();
  }
});

test('after a control-plane restart the current release is adopted as it runs, leftovers retired, unfinished releases failed', async () => {
  const w = await world();
  const v1 = await w.release();
  await w.scheduler.rollout(w.app, v1, () => undefined);
  await w.store.put(w.store.keys.app('shop'), { ...w.app, currentRelease: 1 });
  const v2 = await w.release(); // its rollout was cut by the crash: one process started, not switched to
  await w.runtime.startProcess({
    ...[...w.runtime.processes.values()][0]!.spec,
    name: 'leftover',
    workload: { kind: 'process', app: 'shop', release: 2, type: 'web', index: 1, gen: 'x' },
  });
  await w.mem.deletePrefix(w.mem.keys.endpointsPrefix('shop')); // and the endpoints were lost
  w.runtime.log.length = 0;
  await reconcileOnStart({ store: w.store, runtime: w.runtime, apps: w.apps, scheduler: w.scheduler, log });
  assert.deepEqual(w.runtime.log, ['stop web.1 v2'], 'v1 is not restarted; the v2 leftover goes');
  assert.deepEqual(w.runtime.running(), ['web.1 v1']);
  assert.deepEqual(
    (await w.endpoints()).map((e) => e.split('@')[0]),
    ['1'],
  );
  assert.equal((await w.apps.getRelease('shop', v2.version))!.status, 'failed');
});

test('at start, many apps are adopted with one listing of processes, none restarted, each one endpoint, a dead one restarted', async () => {
  const w = await world();
  const rel = (app: string) =>
    w.apps.createRelease({
      app,
      image: 'i',
      imageId: 'sha256:i',
      config: {},
      processTypes: { web: 'serve' },
      builder: 'buildpacks',
      port: 5000,
      description: 'd',
      createdBy: 'alice',
    });
  const names = Array.from({ length: 30 }, (_, i) => `app-${i}`);
  for (const name of names) {
    const app = await w.apps.createApp(name, 'red', 'alice');
    const r = await rel(name);
    await w.scheduler.rollout(app, r, () => undefined);
    await w.store.put(w.store.keys.app(name), { ...app, currentRelease: r.version });
  }
  // app-7's process died unseen while the control plane was down; every endpoint record was lost.
  const dead = [...w.runtime.processes.values()].find((p) => p.spec.workload?.app === 'app-7')!;
  dead.running = false;
  for (const name of names) await w.mem.deletePrefix(w.mem.keys.endpointsPrefix(name));
  w.runtime.log.length = 0;
  let listings = 0;
  const list = w.runtime.listProcesses.bind(w.runtime);
  w.runtime.listProcesses = (selector) => (listings++, list(selector));
  await reconcileOnStart({ store: w.store, runtime: w.runtime, apps: w.apps, scheduler: w.scheduler, log });
  assert.deepEqual(w.runtime.log, ['start web.1 v1', 'stop web.1 v1'], 'only app-7 is rolled out again: its dead process replaced');
  assert.ok(listings <= 3, `one listing for 30 apps, and the restart of app-7's (${listings} listings)`);
  for (const name of names) assert.equal((await w.mem.list(w.mem.keys.endpointsPrefix(name))).length, 1, `${name} has its endpoint back`);
});

test('after a gap in the runtime events, dead processes are replaced, moved ones re-published, the live left alone', async () => {
  const w = await world();
  const v1 = await w.release();
  await w.store.put(w.store.keys.formation('shop', 'web'), { type: 'web', quantity: 3 });
  await w.scheduler.rollout(w.app, v1, () => undefined);
  await w.store.put(w.store.keys.app('shop'), { ...w.app, currentRelease: 1 });
  const [a, b, c] = [...w.runtime.processes.keys()];
  // The engine went away and came back: web.1 died unseen, web.2 came back at a new address, web.3 kept running.
  const dead = w.runtime.processes.get(a!)!;
  dead.running = false;
  const moved = w.runtime.processes.get(b!)!;
  moved.address = { host: '10.1.2.3', port: 5000 };
  w.runtime.log.length = 0;
  await reconcileApp({ store: w.store, runtime: w.runtime, apps: w.apps, scheduler: w.scheduler, log }, 'shop', { interrupted: false });
  assert.deepEqual(w.runtime.log, ['stop web.1 v1', 'start web.1 v1'], 'only the dead one is replaced');
  assert.deepEqual(w.runtime.running(), ['web.1 v1', 'web.2 v1', 'web.3 v1']);
  const endpoints = await w.endpoints();
  assert.equal(endpoints.length, 3);
  assert.ok(endpoints.includes('1@10.1.2.3:5000'), endpoints.join(' '));
  assert.ok(endpoints.includes(`1@127.0.0.1:${w.runtime.processes.get(c!)!.address!.port}`));
});
