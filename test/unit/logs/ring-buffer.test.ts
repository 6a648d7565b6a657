import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RingBuffer } from '../../../src/logs/ring-buffer.js';

test('keeps the newest items and counts what it dropped', () => {
  const r = new RingBuffer<number>(3);
  for (let i = 1; i <= 5; i++) r.push(i);
  assert.deepEqual(r.toArray(), [3, 4, 5]);
  assert.equal(r.length, 3);
  assert.equal(r.dropped, 2);
  assert.equal(r.shift(), 3);
  r.push(6);
  assert.deepEqual(r.toArray(), [4, 5, 6]);
});

test('last(n, pred) returns the newest matches oldest first', () => {
  const r = new RingBuffer<number>(10);
  for (let i = 1; i <= 10; i++) r.push(i);
  assert.deepEqual(r.last(3), [8, 9, 10]);
  assert.deepEqual(
    r.last(2, (x) => x % 2 === 1),
    [7, 9],
  );
  assert.deepEqual(r.last(0), []);
  assert.deepEqual(r.last(100).length, 10);
});

test('unshiftAll puts a failed batch back in front, dropping the oldest beyond capacity', () => {
  const r = new RingBuffer<number>(4);
  r.push(3);
  r.push(4);
  r.unshiftAll([1, 2]);
  assert.deepEqual(r.toArray(), [1, 2, 3, 4]);
  r.unshiftAll([0]);
  assert.deepEqual(r.toArray(), [1, 2, 3, 4], 'the oldest (the re-queued 0) is dropped');
  assert.equal(r.dropped, 1);
});

test('rejects a capacity that is not a positive whole number', () => {
  assert.throws(() => new RingBuffer(0), RangeError);
  assert.throws(() => new RingBuffer(1.5), RangeError);
});
