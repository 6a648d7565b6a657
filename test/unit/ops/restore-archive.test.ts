// The platform backup archive (docs/architecture.md §9) written by BackupArchiveWriter and read back by extractBackup
// on real files: a round trip verifies, and every attack on a restore is refused in one sentence with nothing left
// in the staging directory — a changed part (sha256), a truncated archive, an entry the manifest does not list,
// path traversal, absolute names, symbolic and hard links, a size beyond the budget, a newer layout or format.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack, type Header } from 'tar-stream';
import { BackupArchiveWriter } from '../../../src/ops/backup-archive.js';
import { extractBackup } from '../../../src/ops/restore-archive.js';
import { allowedEntryName, checkLayout, parseManifest, restoredKey, type BackupManifest } from '../../../src/ops/backup-manifest.js';
import { countKeys } from '../../../src/ops/backup.js';

const dir = mkdtempSync(join(tmpdir(), 'yb-backup-unit-'));
const LIMITS = { maxBytes: 1024 * 1024, maxEntries: 100 };
const BASE = {
  format: 1,
  layout: 1,
  instance: 'test',
  prefix: '/yunbang/',
  createdAt: '2026-12-05T00:00:00.000Z',
  by: 'ybd 0.1.0',
  revision: 7,
  counts: { keys: 1, apps: 0, services: 0, repos: 0, serviceBackups: 0 },
};
const KEYS = Buffer.from('{"k":"schema/version","v":"{\\"version\\":1}"}\n');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
let n = 0;

after(() => rmSync(dir, { recursive: true, force: true }));

/** A gzipped tar of `entries` (tar-stream headers as given), so tests can write what ybd never would. */
async function craft(entries: Array<{ header: Partial<Header> & { name: string }; body?: Buffer }>): Promise<string> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((r) => p.on('end', () => r()));
  for (const e of entries) await new Promise<void>((res, rej) => p.entry(e.header as Header, e.body ?? Buffer.alloc(0), (err) => (err ? rej(err) : res())));
  p.finalize();
  await done;
  const file = join(dir, `crafted-${n++}.tar.gz`);
  writeFileSync(file, gzipSync(Buffer.concat(chunks)));
  return file;
}

const manifestOf = (parts: Record<string, Buffer>, extra: Partial<BackupManifest> = {}) =>
  Buffer.from(
    JSON.stringify({ ...BASE, ...extra, parts: Object.fromEntries(Object.entries(parts).map(([k, b]) => [k, { bytes: b.length, sha256: sha(b) }])) }),
  );

async function refused(file: string, pattern: RegExp, limits = LIMITS): Promise<void> {
  const staging = join(dir, `staging-${n++}`);
  await assert.rejects(extractBackup(file, staging, limits), (err: Error) => {
    assert.match(err.message, pattern);
    assert.equal(err.message.split('\n').length, 1);
    return true;
  });
  assert.equal(existsSync(staging), false, 'the staging directory is removed');
}

test('what BackupArchiveWriter writes, extractBackup restores byte for byte with its manifest', async () => {
  writeFileSync(join(dir, 'keys.jsonl'), KEYS);
  writeFileSync(join(dir, 'HEAD'), 'ref: refs/heads/main\n');
  writeFileSync(join(dir, 'empty'), '');
  const w = new BackupArchiveWriter();
  const chunks: Buffer[] = [];
  w.output.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise((r) => w.output.on('end', r));
  await w.addFile('etcd/keys.jsonl', join(dir, 'keys.jsonl'));
  await w.addFile('data/repos/shop.git/HEAD', join(dir, 'HEAD'));
  await w.addFile('data/repos/shop.git/refs/tags/empty', join(dir, 'empty'));
  await w.finish(BASE);
  await ended;
  const file = join(dir, 'round.tar.gz');
  writeFileSync(file, Buffer.concat(chunks));
  const staging = join(dir, 'round');
  const m = await extractBackup(file, staging, LIMITS);
  assert.equal(m.parts['data/repos/shop.git/HEAD']!.sha256, sha(Buffer.from('ref: refs/heads/main\n')));
  assert.equal(readFileSync(join(staging, 'data/repos/shop.git/HEAD'), 'utf8'), 'ref: refs/heads/main\n');
  assert.equal(readFileSync(join(staging, 'etcd/keys.jsonl'), 'utf8'), KEYS.toString());

  // Truncated: the same archive cut anywhere is refused.
  const whole = readFileSync(file);
  for (const cut of [whole.length - 10, Math.floor(whole.length / 2), 30]) {
    writeFileSync(join(dir, 'cut.tar.gz'), whole.subarray(0, cut));
    await refused(join(dir, 'cut.tar.gz'), /truncated|damaged/);
  }
});

test('abort() ends a backup whose reader went away, even while it waits for the reader', async () => {
  const big = join(dir, 'big');
  writeFileSync(big, randomBytes(8 * 1024 * 1024)); // beyond every buffer on the way: the writer blocks unread
  const w = new BackupArchiveWriter();
  w.output.on('error', () => undefined);
  const adding = w.addFile('data/repos/shop.git/objects/pack/x.pack', big);
  let settled = false;
  adding.catch(() => undefined).finally(() => (settled = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(settled, false, 'blocked while nobody reads');
  w.abort(new Error('the client closed the connection'));
  await assert.rejects(adding, /closed|premature|destroyed/i);
  await assert.rejects(w.addFile('etcd/keys.jsonl', big), /the client closed the connection/);
  await assert.rejects(w.finish(BASE), /the client closed the connection/);
});

test('a part changed after the backup (sha256 mismatch) is refused', async () => {
  const head = Buffer.from('ref: refs/heads/main\n');
  const m = manifestOf({ 'etcd/keys.jsonl': KEYS, 'data/repos/a1.git/HEAD': head });
  await refused(
    await craft([
      { header: { name: 'etcd/keys.jsonl', size: KEYS.length }, body: KEYS },
      { header: { name: 'data/repos/a1.git/HEAD', size: 21 }, body: Buffer.from('ref: refs/heads/evil\n') },
      { header: { name: 'manifest.json', size: m.length }, body: m },
    ]),
    /"data\/repos\/a1\.git\/HEAD" in the backup does not match its manifest/,
  );
});

test('entries the manifest does not list, a missing part, or no manifest are refused', async () => {
  const extra = Buffer.from('x');
  const m = manifestOf({ 'etcd/keys.jsonl': KEYS });
  await refused(
    await craft([
      { header: { name: 'etcd/keys.jsonl', size: KEYS.length }, body: KEYS },
      { header: { name: 'data/admin-token', size: 1 }, body: extra },
      { header: { name: 'manifest.json', size: m.length }, body: m },
    ]),
    /holds "data\/admin-token", which its manifest does not list/,
  );
  const m2 = manifestOf({ 'etcd/keys.jsonl': KEYS, 'data/secret.key': extra });
  await refused(
    await craft([
      { header: { name: 'etcd/keys.jsonl', size: KEYS.length }, body: KEYS },
      { header: { name: 'manifest.json', size: m2.length }, body: m2 },
    ]),
    /lacks "data\/secret\.key", which its manifest lists; it is truncated/,
  );
  await refused(await craft([{ header: { name: 'etcd/keys.jsonl', size: KEYS.length }, body: KEYS }]), /has no manifest at its end; it is truncated/);
});

test('path traversal, absolute names and names outside the backup layout are refused before anything is written', async () => {
  for (const name of [
    '../../etc/cron.d/evil',
    '/etc/passwd',
    'data/repos/a1.git/../../../../x',
    'data/repos/a1.git/./HEAD',
    'data/etcd/member-data',
    'data//secret.key',
  ]) {
    await refused(await craft([{ header: { name, size: 1 }, body: Buffer.from('x') }]), /a name a backup may not have|altered/);
    assert.equal(existsSync(join(dir, '..', 'etc')), false);
  }
});

test('symbolic links, hard links and devices are refused', async () => {
  await refused(await craft([{ header: { name: 'data/secret.key', type: 'symlink', linkname: '/etc/shadow' } }]), /a symlink entry "data\/secret\.key"/);
  await refused(await craft([{ header: { name: 'data/admin-token', type: 'link', linkname: 'etc/keys.jsonl' } }]), /a link entry/);
  await refused(await craft([{ header: { name: 'data/repos/a1.git/objects', type: 'directory' } }]), /a directory entry/);
  await refused(await craft([{ header: { name: 'data/repos/a1.git/x', type: 'character-device', devmajor: 1, devminor: 3 } }]), /a character-device entry/);
});

test('an entry claiming more than the budget is refused from its header, and so is a duplicate', async () => {
  const big = Buffer.alloc(2 * 1024 * 1024, 1);
  await refused(
    await craft([{ header: { name: 'data/backups/cache/20260101T000000Z-abcd.rdb', size: big.length }, body: big }]),
    /unpacks to more than 1 MiB .*claims 2097152 bytes.*YB_RESTORE_MAX_MB/,
  );
  await refused(
    await craft([
      { header: { name: 'etcd/keys.jsonl', size: KEYS.length }, body: KEYS },
      { header: { name: 'etcd/keys.jsonl', size: KEYS.length }, body: KEYS },
    ]),
    /holds "etcd\/keys\.jsonl" twice/,
  );
  await refused(await craft([{ header: { name: 'etcd/keys.jsonl', size: KEYS.length }, body: KEYS }]), /more than 0 files/, { maxBytes: 1024, maxEntries: 0 });
});

test('a newer backup format or state layout is refused in one sentence', () => {
  assert.throws(() => parseManifest(JSON.stringify({ ...BASE, format: 2, parts: {} })), /format 2, newer than this ybd reads \(1\)/);
  assert.throws(() => parseManifest('{"format":'), /not JSON/);
  assert.throws(() => parseManifest(JSON.stringify({ ...BASE, parts: { '../x': { bytes: 1, sha256: 'a'.repeat(64) } } })), /a part it may not hold/);
  const m = parseManifest(JSON.stringify({ ...BASE, layout: 5, parts: {} }));
  assert.throws(() => checkLayout(m, 1), /state layout 5, newer than this ybd knows \(1\); restore it with the ybd that made it \(ybd 0\.1\.0\)/);
  assert.doesNotThrow(() => checkLayout(m, 5));
});

test('entry names: the fixed parts, repo files and service backups only', () => {
  for (const ok of [
    'etcd/keys.jsonl',
    'etcd/snapshot.db',
    'data/secret.key',
    'data/repos/shop.git/refs/heads/feature/ü x',
    'data/backups/cache/20260101T000000Z-abcd.rdb',
  ])
    assert.ok(allowedEntryName(ok), ok);
  for (const bad of [
    'data/etcd/x',
    'data/repos/shop.git',
    'data/repos/../x.git/HEAD',
    'data/backups/cache/../../x',
    'data/backups/cache/notabackup',
    'data/repos/shop.git/a\\..\\b',
    'manifest.json',
  ])
    assert.ok(!allowedEntryName(bad), bad);
});

test('restoredKey leaves out what live processes write; countKeys reads apps, services and the layout', () => {
  assert.deepEqual(['apps/a', 'endpoints/a/web/1', 'routers/r1', 'locks/x', 'services/cache', 'sessions/x'].filter(restoredKey), [
    'apps/a',
    'services/cache',
    'sessions/x',
  ]);
  const jsonl = ['apps/a', 'apps/a/config', 'apps/b', 'services/cache', 'services/cache/x']
    .map((k) => JSON.stringify({ k, v: '{}' }))
    .concat(JSON.stringify({ k: 'schema/version', v: '{"version":3}' }))
    .join('\n');
  assert.deepEqual(countKeys(jsonl), { apps: 2, services: 1, layout: 3 });
});
