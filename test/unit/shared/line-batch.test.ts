// Line batching (shared/line-batch.ts): the lines of one turn of the event loop, or up to `max` characters, are one
// write; a flush writes what is batched; nothing is written twice or lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lineBatch } from '../../../src/shared/line-batch.js';

test('lines added in one turn are one write after it; past max a write happens at once', async () => {
  const writes: string[] = [];
  const b = lineBatch((t) => writes.push(t), 10);
  b.add('a\n');
  b.add('b\n');
  assert.deepEqual(writes, []);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(writes, ['a\nb\n']);
  b.add('0123456789\n');
  assert.deepEqual(writes, ['a\nb\n', '0123456789\n']);
  b.add('c\n');
  b.flush();
  b.flush();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(writes, ['a\nb\n', '0123456789\n', 'c\n']);
});
