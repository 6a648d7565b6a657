// RecentReads (src/shared/recent-reads.ts): one read per key and time to live, nulls never kept, gone keys dropped.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecentReads } from '../../../src/shared/recent-reads.js';

test('a key is read once per time to live; a null answer is read again next time', async () => {
  let now = 0;
  const reads: string[] = [];
  const r = new RecentReads<number>(60_000, () => now);
  const read = (key: string, value: number | null) => () => (reads.push(key), Promise.resolve(value));
  assert.equal(await r.get('a', read('a', 1)), 1);
  assert.equal(await r.get('b', read('b', null)), null);
  now = 59_999;
  assert.equal(await r.get('a', read('a', 2)), 1, 'still fresh');
  assert.equal(await r.get('b', read('b', 5)), 5, 'a null was not kept');
  now = 60_000;
  assert.equal(await r.get('a', read('a', 3)), 3, 'stale: read again');
  assert.deepEqual(reads, ['a', 'b', 'b', 'a']);
});

test('keepOnly drops the keys that are not live any more', async () => {
  const r = new RecentReads<number>(60_000, () => 0);
  let reads = 0;
  const read = () => (reads++, Promise.resolve(1));
  await r.get('a', read);
  await r.get('b', read);
  r.keepOnly(new Set(['a']));
  await r.get('a', read);
  await r.get('b', read);
  assert.equal(reads, 3, 'b was read again, a was not');
});
