// The etcd half of a platform backup (docs/architecture.md §9) against a real etcd: every key of the prefix exported
// at one revision across several pages, so writes, deletes and new keys after that revision are not in it, and keys
// of another prefix never are; etcd's snapshot through the Maintenance API is a bbolt file of the whole member.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedEtcd, type EmbeddedEtcd } from '../../../src/store/embedded-etcd.js';
import { Store } from '../../../src/store/store.js';
import { exportKeys, snapshotEtcd } from '../../../src/ops/etcd-export.js';
import { freePortPair } from '../../helpers/ports.js';
import type { KeyLine } from '../../../src/ops/backup-manifest.js';

const dir = mkdtempSync(join(tmpdir(), 'yb-etcd-export-'));
let etcd: EmbeddedEtcd;
let store: Store;
let other: Store;

before(async () => {
  etcd = await startEmbeddedEtcd({ dataDir: join(dir, 'etcd'), clientPort: await freePortPair() });
  store = new Store([etcd.endpoint], '/yb-export/');
  other = new Store([etcd.endpoint], '/yb-other/');
});

after(async () => {
  store?.close();
  other?.close();
  await etcd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('exportKeys reads every key of the prefix as of one revision, over several pages, and nothing else', async () => {
  const want = new Map<string, string>();
  for (let i = 0; i < 1234; i++) {
    const k = `apps/a${String(i).padStart(4, '0')}`;
    want.set(k, JSON.stringify({ n: i }));
  }
  const entries = [...want];
  for (let i = 0; i < entries.length; i += 100)
    await store.commit(entries.slice(i, i + 100).map(([k, v]) => ({ key: `/yb-export/${k}`, value: JSON.parse(v) })));
  await other.put('/yb-other/apps/x', { foreign: true });
  const at = await store.revision();

  // After the revision: a change, a delete and a new key, in the middle and at both ends of the range.
  await store.put('/yb-export/apps/a0600', { n: 'changed' });
  await store.delete('/yb-export/apps/a0000');
  await store.put('/yb-export/zzz', { late: true });

  const file = join(dir, 'keys.jsonl');
  const r = await exportKeys(store, file, at);
  assert.deepEqual(r, { keys: 1234, revision: at });
  const got = new Map(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as KeyLine)
      .map((l) => [l.k, l.v]),
  );
  assert.deepEqual(got, want);
  assert.equal((statSync(file).mode & 0o777).toString(8), '600');

  const now = await exportKeys(store, join(dir, 'now.jsonl'));
  assert.equal(now.keys, 1234); // one deleted, one added
});

test('snapshotEtcd writes etcd’s own snapshot of the member', async () => {
  const file = join(dir, 'snapshot.db');
  const rev = await snapshotEtcd(store, file);
  assert.ok(rev > 0);
  const head = readFileSync(file).subarray(0, 4096);
  assert.ok(statSync(file).size > 16 * 1024, 'a bbolt file of some pages');
  // A bbolt meta page carries the magic 0xED0CDAED (little-endian) at offset 16 + 16 of page 0.
  assert.ok(head.includes(Buffer.from([0xed, 0xda, 0x0c, 0xed])), 'the bbolt magic number');
});
