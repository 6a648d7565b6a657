import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ageCutoffKey, prefixEnd } from '../../../src/auth/event-retention.js';

test('prefixEnd is the first key after every key with that prefix', () => {
  assert.equal(prefixEnd('/yunbang/events/team-a/'), '/yunbang/events/team-a0');
  const end = prefixEnd('/yunbang/events/ret/');
  assert.ok('/yunbang/events/ret/999999999999999-z' < end);
  assert.ok('/yunbang/events/ret-a/000000000000001-a' < '/yunbang/events/ret/', 'a team whose name extends another sorts before it');
  assert.ok(!('/yunbang/events/ret-a/000000000000001-a' >= '/yunbang/events/ret/' && '/yunbang/events/ret-a/000000000000001-a' < end));
});

test('the age cut-off key sorts after older events and before newer ones (keys are <ms, 15 digits>-<id>)', () => {
  const p = '/yunbang/events/t/';
  const cutoff = ageCutoffKey(p, 1_700_000_000_000);
  assert.equal(cutoff, `${p}001700000000000`);
  assert.ok(`${p}001699999999999-abc` < cutoff);
  assert.ok(`${p}001700000000000-abc` >= cutoff, 'an event exactly at the cut-off is kept');
  assert.equal(ageCutoffKey(p, -5), `${p}000000000000000`);
});
