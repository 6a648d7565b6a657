// Autoscaling policies (src/autoscale/policy.ts): what `yb autoscale` may ask for, refused in one sentence each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPolicy, describeTarget } from '../../../src/autoscale/policy.js';
import { YbError } from '../../../src/shared/errors.js';

const refused = (type: string, req: Parameters<typeof checkPolicy>[1], message: RegExp) =>
  assert.throws(
    () => checkPolicy(type, req),
    (err: unknown) => err instanceof YbError && message.test(err.message),
  );

test('a policy needs min ≤ max within 1–50 and exactly one target', () => {
  checkPolicy('web', { min: 1, max: 6, p95Ms: 300 });
  checkPolicy('worker-2', { min: 3, max: 3, rps: 0.5 });
  refused('web', { min: 0, max: 6, p95Ms: 300 }, /^--min must be a whole number from 1 to 50$/);
  refused('web', { min: 1, max: 51, p95Ms: 300 }, /^--max must be/);
  refused('web', { min: 1.5, max: 6, p95Ms: 300 }, /^--min must be/);
  refused('web', { min: 4, max: 2, p95Ms: 300 }, /^--min \(4\) must not be above --max \(2\)$/);
  refused('web', { min: 1, max: 2 }, /exactly one target/);
  refused('web', { min: 1, max: 2, p95Ms: 300, rps: 4 }, /exactly one target/);
  refused('web', { min: 1, max: 2, p95Ms: 5 }, /--p95-ms must be a whole number of milliseconds from 10 to 60000/);
  refused('web', { min: 1, max: 2, rps: Number.NaN }, /--rps must be a number/);
  refused('web', { min: 1, max: 2, rps: 0 }, /--rps must be a number/);
  refused('../etc', { min: 1, max: 2, rps: 1 }, /not a valid process type/);
  refused('x'.repeat(1000), { min: 1, max: 2, rps: 1 }, /not a valid process type/);
});

test('targets in words', () => {
  assert.equal(describeTarget({ p95Ms: 300 }), 'p95 300 ms');
  assert.equal(describeTarget({ rps: 5 }), '5 requests/s per process');
});
