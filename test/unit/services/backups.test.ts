// Backup ids and retention (issue #7).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackupFiles, beyondRetention, checkBackupId, newBackupId } from '../../../src/services/backups.js';
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

test('links a service container plants in its backup directory are neither listed nor copied through (issue #14)', async () => {
  const root = mkdtempSync(join(tmpdir(), 'yb-backups-'));
  const files = new BackupFiles(root);
  const dir = await files.ensureDir('db');
  const secret = join(root, 'host-secret');
  writeFileSync(secret, 'host secret');
  const real = '20260101T000000Z-aaaa.rdb';
  writeFileSync(join(dir, real), 'dump');
  symlinkSync(secret, join(dir, '20260102T000000Z-bbbb.rdb'));
  assert.deepEqual(
    (await files.list('db')).map((b) => b.file),
    [real],
  );
  // The restore target name itself planted as a link: the copy replaces the link, never writes through it.
  symlinkSync(secret, join(dir, '.restore.rdb'));
  await files.stage('db', real, '.restore.rdb');
  assert.equal(readFileSync(join(dir, '.restore.rdb'), 'utf8'), 'dump');
  assert.equal(lstatSync(join(dir, '.restore.rdb')).isSymbolicLink(), false);
  assert.equal(readFileSync(secret, 'utf8'), 'host secret');
  await assert.rejects(files.stage('db', '20260102T000000Z-bbbb.rdb', '.restore.rdb'), { code: 'ELOOP' });
});
