// eachLimited: every item once, never more than the limit at a time, the first failure stops new starts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eachLimited } from '../../../src/shared/each-limited.js';

test('every item is handled once, with at most `limit` in flight', async () => {
  let inFlight = 0;
  let most = 0;
  const seen: number[] = [];
  const items = Array.from({ length: 50 }, (_, i) => i);
  await eachLimited(items, 4, async (i) => {
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise((r) => setImmediate(r));
    seen.push(i);
    inFlight--;
  });
  assert.deepEqual(
    [...seen].sort((a, b) => a - b),
    items,
  );
  assert.equal(most, 4);
  await eachLimited([], 4, async () => assert.fail('no items, no calls'));
});

test('the first failure rejects, and no item starts after it', async () => {
  const started: number[] = [];
  await assert.rejects(
    eachLimited([1, 2, 3, 4, 5, 6], 2, async (i) => {
      started.push(i);
      await new Promise((r) => setImmediate(r));
      if (i === 2) throw new Error('two failed');
    }),
    /two failed/,
  );
  assert.ok(!started.includes(5) && !started.includes(6), `started ${started.join(',')}`);
});
