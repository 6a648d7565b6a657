import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAppName, checkProcessType } from '../../../src/release/names.js';

test('accepts DNS-safe app names', () => {
  for (const n of ['abc', 'hello', 'my-app-2', 'a1b']) assert.equal(checkAppName(n), n);
});

test('refuses names that cannot be a host label or are ambiguous', () => {
  for (const n of ['ab', 'Hello', '1app', 'app-', '-app', 'a--b', 'a_b', 'a.b', 'x'.repeat(31), '', '../etc']) {
    assert.throws(() => checkAppName(n), /not a valid app name/, n);
  }
});

test('process types', () => {
  assert.equal(checkProcessType('web'), 'web');
  assert.equal(checkProcessType('worker_2'), 'worker_2');
  assert.throws(() => checkProcessType('Web'), /not a valid process type/);
});
