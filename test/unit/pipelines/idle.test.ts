import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIdle, type ReviewAppRecord } from '../../../src/pipelines/pipeline-records.js';

const rec = (lastPushAt: string): ReviewAppRecord => ({
  app: 'web-x',
  pipeline: 'p',
  parent: 'web',
  branch: 'x',
  createdAt: lastPushAt,
  createdBy: 'u',
  lastPushAt,
  services: [],
});

test('a review app is idle only once more than its idle hours passed since its last push', () => {
  const at = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(isIdle(rec('2026-01-01T00:00:00Z'), 2, at + 2 * 3600_000), false);
  assert.equal(isIdle(rec('2026-01-01T00:00:00Z'), 2, at + 2 * 3600_000 + 1), true);
  assert.equal(isIdle(rec('2026-01-01T00:00:00Z'), 0.001, at + 3601), true);
});
