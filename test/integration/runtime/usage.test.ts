// A process's CPU and memory as the Docker backend reports them (runtime.ts usage; docs/architecture.md §6): after the
// first reading they come from the container's own cgroup files, not from `docker stats` (one engine, containerd and
// shim round trip per process per sample: issue #21), and they agree with what the engine reports: a busy process
// uses about a core, an idle one about none, memory within a MiB or a fifth of the engine's figure.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DockerRuntime } from '../../../src/runtime/docker/docker-runtime.js';
import { cleanupDocker } from '../../helpers/platform.js';
import { until } from '../../helpers/until.js';

const run = promisify(execFile);
const instance = `ybuse${process.env.YB_TEST_RUN_ID ?? ''}${Math.random().toString(36).slice(2, 7)}`;
const runtime = new DockerRuntime(instance);

after(async () => {
  await cleanupDocker(instance);
});

/** Starts a container of the stack image running `script`, labelled for cleanup; returns its full id. */
async function container(script: string): Promise<string> {
  const { stdout } = await run('docker', ['run', '-d', '--label', `yunbang.instance=${instance}`, 'yunbang/stack:latest', 'sh', '-c', script]);
  return stdout.trim();
}

/** The engine's own reading (docker stats), as the backend read it before. */
async function engineMemory(id: string): Promise<number> {
  const s = (await runtime.engine.docker.getContainer(id).stats({ stream: false })) as {
    memory_stats: { usage: number; stats: { total_inactive_file?: number; inactive_file?: number } };
  };
  return s.memory_stats.usage - (s.memory_stats.stats.total_inactive_file ?? s.memory_stats.stats.inactive_file ?? 0);
}

test('usage is read from the cgroup after the first reading and agrees with the engine', async () => {
  // The busy process also holds ~24 MiB in a shell variable, so memory is well above zero.
  const busy = await container('x=$(head -c 25000000 /dev/zero | tr "\\0" a); while :; do :; done');
  const idle = await container('sleep 600');
  for (const id of [busy, idle]) await until(`${id} running`, async () => (await runtime.processState(id))?.running);
  await until('the busy process holds its memory', async () => (await engineMemory(busy)) > 20 * 1024 * 1024, 60_000);

  let statsCalls = 0;
  const docker = runtime.engine.docker;
  const getContainer = docker.getContainer.bind(docker);
  docker.getContainer = ((id: string) => {
    const c = getContainer(id);
    const stats = c.stats.bind(c);
    c.stats = ((...args: Parameters<typeof stats>) => (statsCalls++, stats(...args))) as typeof c.stats;
    return c;
  }) as typeof docker.getContainer;
  try {
    for (const id of [busy, idle]) assert.ok(await runtime.usage(id), 'the first reading (from the engine)');
    const engineCalls = statsCalls;
    await new Promise((r) => setTimeout(r, 1000)); // a CPU rate needs time between two readings
    const [b, i] = [await runtime.usage(busy), await runtime.usage(idle)];
    assert.equal(statsCalls, engineCalls, 'the second readings asked the engine nothing');
    assert.ok(b && i);
    // Two shared cores: a busy loop gets most of one, rarely all of it.
    assert.ok(b.cpuCores > 0.3 && b.cpuCores < 1.3, `busy: ${b.cpuCores} cores`);
    assert.ok(i.cpuCores < 0.05, `idle: ${i.cpuCores} cores`);
    docker.getContainer = getContainer;
    const want = await engineMemory(busy);
    assert.ok(Math.abs(b.memoryBytes - want) < Math.max(1024 * 1024, want / 5), `memory ${b.memoryBytes} vs the engine's ${want}`);
  } finally {
    docker.getContainer = getContainer;
  }
});

test('a removed process reads as gone, and a restarted one is read again from its new cgroup', async () => {
  const id = await container('sleep 600');
  await until(`${id} running`, async () => (await runtime.processState(id))?.running);
  assert.ok(await runtime.usage(id));
  await run('docker', ['restart', '-t', '0', id]);
  await until(`${id} running again`, async () => (await runtime.processState(id))?.running);
  assert.ok(await runtime.usage(id), 'read after the restart');
  await run('docker', ['rm', '-f', id]);
  assert.equal(await runtime.processState(id), null);
  assert.equal(await runtime.usage(id), null, 'gone');
});
