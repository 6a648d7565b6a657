// Team networks through the runtime contract (docs/architecture.md §6) on the test run's backend: a process reaches
// its own team's processes by alias and IP, never another team's. And, Docker-only by nature (the Kubernetes
// backend's namespaces have unique names): Docker does not keep network names unique, so concurrent ensureNetwork
// calls must make one network, and duplicates left by an earlier race are reduced to one (a container started on
// an ambiguous name fails: "network … is ambiguous").
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerRuntime } from '../../../src/runtime/docker/docker-runtime.js';
import { startRuntime } from '../../../src/runtime/start.js';
import type { Runtime } from '../../../src/runtime/runtime.js';
import { loadConfig } from '../../../src/config/load.js';
import { createLogger } from '../../../src/shared/logger.js';
import { backendEnv, dockerOnly, probe } from '../../helpers/backend.js';
import { cleanupDocker } from '../../helpers/platform.js';
import { until } from '../../helpers/until.js';

const instance = `ybnet${process.env.YB_TEST_RUN_ID ?? ''}${Math.random().toString(36).slice(2, 7)}`;
const runtime = new DockerRuntime(instance);
const named = async (name: string) => (await runtime.engine.docker.listNetworks({ filters: { name: [name] } })).filter((n) => n.Name === name);

after(async () => {
  await runtime.removeNetworks();
});

dockerOnly('concurrent ensureNetwork calls for one name make one network', 'Docker network names are not unique', async () => {
  const names = await Promise.all(Array.from({ length: 8 }, () => runtime.ensureNetwork('a')));
  const name = `${instance}-team-a`;
  assert.deepEqual(new Set(names), new Set([name]), 'the network of team a is named by the instance and the team');
  assert.equal((await named(name)).length, 1);
  await runtime.ensureNetwork('a');
  assert.equal((await named(name)).length, 1, 'an existing network is reused');
});

dockerOnly('duplicates of a name (from an earlier race) are reduced to the oldest', 'Docker network names are not unique', async () => {
  const name = `${instance}-team-b`;
  const make = () => runtime.engine.docker.createNetwork({ Name: name, Driver: 'bridge', CheckDuplicate: false, Labels: { 'yunbang.instance': instance } });
  const first = await make();
  await make();
  await make();
  assert.equal((await named(name)).length, 3, 'the engine accepted the duplicates');
  await runtime.ensureNetwork('b');
  const left = await named(name);
  assert.equal(left.length, 1);
  assert.equal(left[0]!.Id, first.id);
});

const isoInstance = `ybiso${process.env.YB_TEST_RUN_ID ?? ''}${Math.random().toString(36).slice(2, 7)}`;
const isoDir = mkdtempSync(join(tmpdir(), 'yb-iso-'));
const iso = probe(isoInstance, isoDir);
let backend: (Runtime & { close(): void }) | undefined;

after(async () => {
  backend?.close();
  await cleanupDocker(isoInstance);
  await iso.cleanup();
  rmSync(isoDir, { recursive: true, force: true });
});

/** A process of `team` that answers on port 5000 (perl is in the stack image), reached by the alias `app`. */
async function listener(rt: Runtime, team: string, app: string): Promise<string> {
  const network = await rt.ensureNetwork(team);
  const serve =
    'use IO::Socket::INET; my $s = IO::Socket::INET->new(LocalPort => 5000, Listen => 5, ReuseAddr => 1) or die $!; while (my $c = $s->accept) { print $c "ok\\n"; close $c }';
  await rt.startProcess({
    name: `${isoInstance}-${app}`,
    workload: { kind: 'process', app, team, release: 1, type: 'web', index: 1, gen: 'g1' },
    image: 'yunbang/stack:latest',
    command: ['perl', '-e', serve],
    env: {},
    port: 5000,
    network,
    aliases: [app],
    restart: 'on-failure',
  });
  const proc = await until(`a running process of ${app}`, async () => (await iso.processes({ app })).find((p) => p.running), 120_000);
  await until(`${app} to listen`, () => canConnect(proc.id, '127.0.0.1'), 60_000);
  return proc.id;
}

/** Opens a TCP connection from inside the process `from`; true when it connects. */
async function canConnect(from: string, host: string): Promise<boolean> {
  const out = await iso.exec(from, ['bash', '-c', `timeout 4 bash -c 'exec 3<>/dev/tcp/${host}/5000' && echo CONNECTED || echo REFUSED`]);
  return out.includes('CONNECTED');
}

test("a team's process reaches its own team by alias and IP, and cannot reach another team's even by IP", async () => {
  const cfg = loadConfig({ ...process.env, ...backendEnv(), YB_INSTANCE: isoInstance, YB_DATA_DIR: isoDir });
  backend = await startRuntime(cfg, createLogger('networks-test', 'warn'));
  const a1 = await listener(backend, 'a', 'iso-a1');
  const a2 = await listener(backend, 'a', 'iso-a2');
  const b1 = await listener(backend, 'b', 'iso-b1');
  const ipA = await iso.ip(a1, 'a');
  const ipB = await iso.ip(b1, 'b');
  assert.match(ipA, /^\d+\.\d+\.\d+\.\d+$/);
  assert.match(ipB, /^\d+\.\d+\.\d+\.\d+$/);
  assert.equal(await canConnect(a2, 'iso-a1'), true, 'a2 reaches a1 by its alias');
  assert.equal(await canConnect(a1, 'iso-a2'), true, 'a1 reaches a2, which started after it, by its alias');
  assert.equal(await canConnect(a2, ipA), true, 'control: a2 reaches a1 by IP');
  assert.equal(await canConnect(b1, 'iso-b1'), true, 'control: b1 reaches its own alias');
  assert.equal(await canConnect(b1, 'iso-a1'), false, "team b cannot resolve or reach team a's alias");
  assert.equal(await canConnect(b1, ipA), false, "team b cannot connect to team a's process IP");
  assert.equal(await canConnect(a2, ipB), false, "team a cannot connect to team b's process IP");
});
