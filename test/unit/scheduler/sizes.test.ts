import { test } from 'node:test';
import assert from 'node:assert/strict';
import { oneOffSize, parseSize } from '../../../src/scheduler/sizes.js';
import { processCommand, processName } from '../../../src/scheduler/process-spec.js';
import { plannedFormation } from '../../../src/scheduler/scheduler.js';

test('sizes map to Docker limits', () => {
  assert.deepEqual(parseSize(undefined), {});
  assert.deepEqual(parseSize('512M'), { memoryBytes: 512 * 1024 * 1024, nanoCpus: undefined });
  assert.deepEqual(parseSize('1G:0.5'), { memoryBytes: 1024 ** 3, nanoCpus: 5e8 });
  assert.throws(() => parseSize('lots'), /not a size/);
  assert.throws(() => parseSize('1M'), /minimum/);
  assert.throws(() => parseSize('1G:0'), /between 0 and 64/);
});

test('one-off containers take the web process size; without one, the default (no size)', () => {
  assert.equal(
    oneOffSize([
      { type: 'worker', size: '2G' },
      { type: 'web', size: '1G' },
    ]),
    '1G',
  );
  assert.equal(oneOffSize([{ type: 'web' }, { type: 'worker', size: '2G' }]), undefined);
  assert.equal(oneOffSize([]), undefined);
});

test('buildpack processes start through yb-launch; image processes keep their default command', () => {
  assert.deepEqual(processCommand({ builder: 'buildpacks' }, 'npm start'), ['/usr/local/bin/yb-launch', 'npm start']);
  assert.deepEqual(processCommand({ builder: 'dockerfile' }, ''), undefined);
  assert.deepEqual(processCommand({ builder: 'dockerfile' }, 'node w.js'), ['/bin/sh', '-c', 'node w.js']);
});

test('container names carry the platform instance', () => {
  assert.equal(processName('yunbang', 'hello', 'web', 2, 7, 'a1b2c3'), 'yunbang.hello.web.2.v7.a1b2c3');
});

test('formation: stored quantities win, then app.json, then web=1 and others 0; the release process never runs', () => {
  const release = {
    processTypes: { web: 'a', worker: 'b', clock: 'c', release: 'm' },
    manifest: { requiredEnv: [], envDefaults: {}, healthchecks: {}, formation: { clock: { quantity: 1, size: '256M' } } },
  };
  assert.deepEqual(plannedFormation(release, [{ type: 'worker', quantity: 3 }]), [
    { type: 'web', quantity: 1, size: undefined },
    { type: 'worker', quantity: 3 },
    { type: 'clock', quantity: 1, size: '256M' },
  ]);
});
