// Dependency cycles shown by `yb deps` (issue #7).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cyclesThrough } from '../../../src/services/dep-graph.js';

const g = (o: Record<string, string[]>) => new Map(Object.entries(o));

test('no cycle in a chain or a diamond', () => {
  assert.deepEqual(cyclesThrough('a', g({ a: ['b'], b: ['c'], c: [] })), []);
  assert.deepEqual(cyclesThrough('a', g({ a: ['b', 'c'], b: ['d'], c: ['d'], d: [] })), []);
});

test('two-app and longer cycles through the app, each once', () => {
  assert.deepEqual(cyclesThrough('a', g({ a: ['b'], b: ['a'] })), [['a', 'b', 'a']]);
  assert.deepEqual(cyclesThrough('a', g({ a: ['b', 'c'], b: ['c'], c: ['a'] })), [
    ['a', 'b', 'c', 'a'],
    ['a', 'c', 'a'],
  ]);
});

test('cycles elsewhere in the team are not reported for this app; the count is bounded', () => {
  assert.deepEqual(cyclesThrough('a', g({ a: ['b'], b: ['c'], c: ['b'] })), []);
  const big = g(Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`n${i}`, Array.from({ length: 8 }, (_, j) => `n${j}`).filter((x) => x !== `n${i}`)])));
  assert.equal(cyclesThrough('n0', big, 5).length, 5);
});
