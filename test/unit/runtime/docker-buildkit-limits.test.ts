// Which files carry the BuildKit step limits, per cgroup version, written into a scratch directory laid out like
// /sys/fs/cgroup (the real cgroup is exercised by test/integration/platform/dockerfile-limits.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { limitBuildkitSteps } from '../../../src/runtime/docker/buildkit-limits.js';

const scratch = () => mkdtempSync(join(tmpdir(), 'yb-cgroup-'));
const read = (...path: string[]) => readFileSync(join(...path), 'utf8');

test('cgroup v1: memory.limit_in_bytes and the CFS quota on docker/buildkit; absent limits are written as none', async () => {
  const root = scratch();
  await limitBuildkitSteps({ version: '1', driver: 'cgroupfs' }, { memoryBytes: 512 * 1024 * 1024, cpus: 1.5, pids: 300 }, root);
  assert.equal(read(root, 'memory/docker/buildkit/memory.limit_in_bytes'), String(512 * 1024 * 1024));
  assert.equal(read(root, 'cpu/docker/buildkit/cpu.cfs_period_us'), '100000');
  assert.equal(read(root, 'cpu/docker/buildkit/cpu.cfs_quota_us'), '150000');
  assert.equal(read(root, 'pids/docker/buildkit/pids.max'), '300');
  await limitBuildkitSteps({ version: '1', driver: 'cgroupfs' }, { memoryBytes: 0, cpus: 0 }, root);
  assert.equal(read(root, 'memory/docker/buildkit/memory.limit_in_bytes'), '-1');
  assert.equal(read(root, 'cpu/docker/buildkit/cpu.cfs_quota_us'), '-1');
  assert.equal(read(root, 'pids/docker/buildkit/pids.max'), 'max');
});

test('cgroup v2: memory.max and cpu.max on docker/buildkit, with the controllers handed down by docker/', async () => {
  const root = scratch();
  await limitBuildkitSteps({ version: '2', driver: 'cgroupfs' }, { memoryBytes: 256 * 1024 * 1024, cpus: 0.5, pids: 200 }, root);
  assert.equal(read(root, 'docker/cgroup.subtree_control'), '+memory +cpu +pids');
  assert.equal(read(root, 'docker/buildkit/pids.max'), '200');
  assert.equal(read(root, 'docker/buildkit/memory.max'), String(256 * 1024 * 1024));
  assert.equal(read(root, 'docker/buildkit/cpu.max'), '50000 100000');
  await limitBuildkitSteps({ version: '2', driver: 'cgroupfs' }, {}, root);
  assert.equal(read(root, 'docker/buildkit/memory.max'), 'max');
  assert.equal(read(root, 'docker/buildkit/cpu.max'), 'max 100000');
  assert.equal(read(root, 'docker/buildkit/pids.max'), 'max');
});

test('other layouts are refused with the reason', async () => {
  await assert.rejects(limitBuildkitSteps({ version: '2', driver: 'systemd' }, {}, scratch()), /systemd cgroup driver/);
  await assert.rejects(limitBuildkitSteps({ version: '3', driver: 'cgroupfs' }, {}, scratch()), /unknown cgroup version 3/);
});
