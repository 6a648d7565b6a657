// Which release images a restore brings back and in which order (src/ops/bring-back.ts): one per image, the current
// release's first, then the newest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bringBackOrder } from '../../../src/ops/bring-back.js';

test('one release per image, the current first, then newest first', () => {
  const rel = (version: number, image: string) => ({ version, image });
  const releases = [rel(1, 'a:1'), rel(2, 'a:2'), rel(3, 'a:2'), rel(4, 'a:3'), rel(5, 'a:1')];
  assert.deepEqual(
    bringBackOrder(releases, 3).map((r) => r.version),
    [3, 5, 4],
  );
  assert.deepEqual(
    bringBackOrder(releases, 1).map((r) => r.version),
    [1, 4, 3],
  );
  assert.deepEqual(bringBackOrder([], 0), []);
});
