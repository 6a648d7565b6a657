// Backup ids and retention (issue #7).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { beyondRetention, checkBackupId, newBackupId } from '../../../src/services/backups.js';
import { serviceRecipeHash } from '../../../src/services/images.js';

test('backup ids sort by time and are checked before use as file names', () => {
  const id = newBackupId(new Date('2026-01-02T03:04:05.678Z'));
  assert.match(id, /^20260102T030405Z-[0-9a-f]{4}$/);
  assert.equal(checkBackupId(id), id);
  for (const bad of ['../etc/passwd', '20260102T030405Z', '20260102T030405Z-zzzz', '']) assert.throws(() => checkBackupId(bad), { code: 'YB_ERR_BAD_REQUEST' });
});

test('retention deletes the oldest beyond the count, and always keeps the newest', () => {
  const ids = ['20260101T000000Z-aaaa', '20260103T000000Z-cccc', '20260102T000000Z-bbbb'];
  assert.deepEqual(beyondRetention(ids, 2), ['20260101T000000Z-aaaa']);
  assert.deepEqual(beyondRetention(ids, 5), []);
  assert.deepEqual(beyondRetention(ids, 0), ['20260102T000000Z-bbbb', '20260101T000000Z-aaaa']);
});

test('the recipe hash is sha256(stack hash, newline, recipe files) — what scripts/build-images.sh service_hash computes', () => {
  // printf 'abc\nFROM x\nrun\n' | sha256sum | cut -c1-16
  assert.equal(serviceRecipeHash('abc', ['FROM x\n', 'run\n']), '07240c8153730101');
  assert.notEqual(serviceRecipeHash('abd', ['FROM x\n', 'run\n']), serviceRecipeHash('abc', ['FROM x\n', 'run\n']));
});
