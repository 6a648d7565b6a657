// The container follower's decisions (src/logs/container-follower.ts) with FakeRuntime: a process is followed as soon
// as the runtime says it started, without waiting for the periodic re-list (30 s on Docker, issue #21); one that
// started while the event stream had a gap is followed when the stream resumes (onResync); each is followed once.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { ContainerFollower } from '../../../src/logs/container-follower.js';
import { LogHub } from '../../../src/logs/log-hub.js';
import { AppLogStore } from '../../../src/logs/app-log-store.js';
import { createLogger } from '../../../src/shared/logger.js';
import { FakeRuntime } from '../../helpers/fake-runtime.js';
import type { ProcessSpec } from '../../../src/runtime/runtime.js';
import { until } from '../../helpers/until.js';

const dir = mkdtempSync(join(tmpdir(), 'yb-follower-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('processes are followed on their start event and, after a gap in the events, on the resync; each once', async () => {
  const runtime = new FakeRuntime();
  const followed: string[] = [];
  runtime.followLogs = (async (id: string) => (followed.push(id), new PassThrough())) as unknown as typeof runtime.followLogs;
  const follower = new ContainerFollower(runtime, new LogHub(new AppLogStore(dir, 100)), createLogger('test', 'silent'), 3_600_000);
  await follower.start();
  try {
    const spec = {
      name: 'shop-web-1',
      image: 'i',
      command: [],
      env: {},
      network: 'net',
      aliases: [],
      restart: true,
      workload: { kind: 'process' as const, app: 'shop', type: 'web', release: 1, index: 1 },
    } as unknown as ProcessSpec;
    const { id } = await runtime.startProcess(spec);
    await until('the started process followed', () => followed.includes(id));
    // Started while the engine's event stream was down: no event, so nothing until the stream resumes.
    runtime.processes.set('unseen', { ...runtime.processes.get(id)!, id: 'unseen' });
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(!followed.includes('unseen'), 'no re-list within the poll interval');
    runtime.resync();
    await until('the unseen process followed after the resync', () => followed.includes('unseen'));
    runtime.resync();
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(followed.sort(), [id, 'unseen'].sort(), 'each followed once');
  } finally {
    follower.stop();
  }
});
