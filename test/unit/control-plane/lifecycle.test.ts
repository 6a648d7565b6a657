// The control plane's start/stop order (src/control-plane/lifecycle.ts): steps start in order and stop in reverse,
// and a start that fails part-way stops what it had started, in reverse, then fails with its own error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lifecycle, type Step } from '../../../src/control-plane/lifecycle.js';

/** Fake components that write what happens to them into `log`. */
function fakes() {
  const log: string[] = [];
  const stopErrors: string[] = [];
  const life = new Lifecycle({ onStopError: (name, err) => stopErrors.push(`${name}: ${(err as Error).message}`), undoTimeoutMs: 2000 });
  const step = (name: string, more: Partial<Step<string>> = {}): Step<string> => ({
    name,
    start: async () => {
      log.push(`start ${name}`);
      return `${name}-handle`;
    },
    stop: (v) => void log.push(`stop ${v}`),
    ...more,
  });
  return { log, stopErrors, life, step };
}

test('steps start in order, give what they started to later steps, and stop in reverse', async () => {
  const { log, life, step } = fakes();
  const plane = await life.starting(async () => {
    const a = await life.step(step('etcd'));
    const b = await life.step(step('runtime'));
    await life.step(step('api'));
    return { a, b };
  });
  assert.deepEqual(plane, { a: 'etcd-handle', b: 'runtime-handle' });
  assert.deepEqual(log, ['start etcd', 'start runtime', 'start api']);
  await life.stop();
  assert.deepEqual(log.slice(3), ['stop api-handle', 'stop runtime-handle', 'stop etcd-handle']);
});

test('a step that fails to start: what was started is undone in reverse, the failed step is not stopped, the error goes on', async () => {
  const { log, life, step } = fakes();
  const boom = new Error('port in use');
  await assert.rejects(
    life.starting(async () => {
      await life.step(step('etcd'));
      await life.step(step('router', { undo: (v) => void log.push(`undo ${v}`) }));
      await life.step(
        step('api', {
          start: () => {
            throw boom;
          },
        }),
      );
      log.push('never here');
    }),
    (err) => err === boom,
  );
  assert.deepEqual(log, ['start etcd', 'start router', 'undo router-handle', 'stop etcd-handle']);
  await life.stop(); // nothing is left to stop
  assert.equal(log.length, 4);
});

test('a failure between steps (not in one) also undoes what was started', async () => {
  const { log, life, step } = fakes();
  await assert.rejects(
    life.starting(async () => {
      await life.step(step('store'));
      throw new Error('reconcile failed');
    }),
    /reconcile failed/,
  );
  assert.deepEqual(log, ['start store', 'stop store-handle']);
});

test('a stop that fails is reported and the steps before it still stop; stop() twice stops once', async () => {
  const { log, stopErrors, life, step } = fakes();
  await life.starting(async () => {
    await life.step(step('etcd'));
    await life.step(
      step('ssh', {
        stop: () => {
          throw new Error('already closed');
        },
      }),
    );
    await life.step(step('timer', { stop: undefined }));
  });
  await Promise.all([life.stop(), life.stop()]);
  assert.deepEqual(log, ['start etcd', 'start ssh', 'start timer', 'stop etcd-handle']);
  assert.deepEqual(stopErrors, ['ssh: already closed']);
});

test('an undo that hangs does not hold the failure back past undoTimeoutMs', async () => {
  const life = new Lifecycle({ onStopError: () => undefined, undoTimeoutMs: 50 });
  const started = Date.now();
  await assert.rejects(
    life.starting(async () => {
      await life.step({ name: 'router', start: () => 1, stop: () => new Promise<void>(() => undefined) });
      throw new Error('api failed');
    }),
    /api failed/,
  );
  assert.ok(Date.now() - started < 2000, 'the failure came after the deadline, not never');
});
