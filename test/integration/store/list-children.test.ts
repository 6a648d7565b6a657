// Store.listChildren (and listWhere, getMany) against a real etcd (issue #21 item 1, docs/architecture.md §3): the entries one level under a
// prefix, and nothing deeper, in key order, across more than one transaction of reads, as of the listing's revision
// even when keys change between the listing and the reads; AppRecords.listApps on it lists what it listed before.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedEtcd, type EmbeddedEtcd } from '../../../src/store/embedded-etcd.js';
import { Store } from '../../../src/store/store.js';
import { AppRecords } from '../../../src/release/app-records.js';
import { freePortPair } from '../../helpers/ports.js';

const dir = mkdtempSync(join(tmpdir(), 'yb-list-children-'));
let etcd: EmbeddedEtcd;
let store: Store;

before(async () => {
  etcd = await startEmbeddedEtcd({ dataDir: join(dir, 'etcd'), clientPort: await freePortPair() });
  store = new Store([etcd.endpoint], '/yb-children/');
});

after(async () => {
  store?.close();
  await etcd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The listing before listChildren: the whole prefix, filtered to one level (a key equal to the prefix names nothing). */
async function wholePrefix(prefix: string): Promise<Array<[string, unknown]>> {
  return (await store.list(prefix)).filter((e) => e.key !== prefix && !e.key.slice(prefix.length).includes('/')).map((e) => [e.key, e.value]);
}

test('listChildren returns the entries one level under the prefix, in key order, over several transactions', async () => {
  const p = '/yb-children/t1/';
  const puts: Array<{ key: string; value: unknown }> = [];
  // 250 children (three read transactions of at most 100), names with '-' that sort between a name and its subtree
  // ("a-1" < "a/..."), each with deeper keys, plus a key equal to the prefix and a sibling prefix.
  for (let i = 0; i < 250; i++) {
    const name = `app${String(i).padStart(3, '0')}`;
    puts.push({ key: `${p}${name}`, value: { name } }, { key: `${p}${name}-x`, value: { name: `${name}-x` } });
    puts.push({ key: `${p}${name}/config`, value: 'sealed' }, { key: `${p}${name}/releases/00000001`, value: { big: 'x'.repeat(2000) } });
  }
  puts.push({ key: p, value: 'the prefix itself' }, { key: '/yb-children/t1x', value: 'sibling' }, { key: '/yb-children/t1/z/deep/er', value: 1 });
  for (let i = 0; i < puts.length; i += 100) await store.commit(puts.slice(i, i + 100));
  const got = await store.listChildren<{ name: string }>(p);
  assert.equal(got.length, 500);
  assert.deepEqual(
    got.map((e) => [e.key, e.value]),
    await wholePrefix(p),
  );
  assert.ok(got.every((e) => e.modRevision > 0));
  assert.deepEqual(await store.listChildren('/yb-children/none/'), []);
  // listWhere, as the autoscaler reads every app's policies: only the keys it keeps are read.
  const configs = await store.listWhere<string>(p, (rest) => /^[^/]+\/config$/.test(rest));
  assert.equal(configs.length, 250);
  assert.ok(configs.every((e) => e.key.endsWith('/config') && e.value === 'sealed'));
});

test('listChildren reads every value as of the listing, even when keys change before the reads', async () => {
  const p = '/yb-children/t2/';
  const puts = Array.from({ length: 150 }, (_, i) => ({ key: `${p}k${String(i).padStart(3, '0')}`, value: { v: 1 } }));
  for (let i = 0; i < puts.length; i += 100) await store.commit(puts.slice(i, i + 100));
  const writer = new Store([etcd.endpoint], '/yb-children/');
  const kv = store.client.kv;
  const range = kv.range.bind(kv);
  // Between the keys-only listing and the reads of values: one child changed, one deleted, one added.
  kv.range = (async (...args: Parameters<typeof range>) => {
    const res = await range(...args);
    await writer.put(`${p}k010`, { v: 2 });
    await writer.delete(`${p}k140`);
    await writer.put(`${p}k999`, { v: 3 });
    return res;
  }) as typeof kv.range;
  try {
    const got = await store.listChildren<{ v: number }>(p);
    assert.equal(got.length, 150);
    assert.ok(
      got.every((e) => e.value.v === 1),
      'values as of the listing',
    );
    assert.ok(got.some((e) => e.key === `${p}k140`) && !got.some((e) => e.key === `${p}k999`));
  } finally {
    kv.range = range;
    writer.close();
  }
  const now = await store.listChildren<{ v: number }>(p);
  assert.equal(now.length, 150);
  assert.equal(now.find((e) => e.key === `${p}k010`)?.value.v, 2);
});

test('getMany reads many keys in order, null where absent, over several transactions', async () => {
  const p = '/yb-children/t3/';
  const puts = Array.from({ length: 130 }, (_, i) => ({ key: `${p}k${i}`, value: { i } }));
  for (let i = 0; i < puts.length; i += 100) await store.commit(puts.slice(i, i + 100));
  const want = [...Array.from({ length: 130 }, (_, i) => `${p}k${129 - i}`), `${p}absent`, `${p}k0`];
  const got = await store.getMany<{ i: number }>(want);
  assert.equal(got.length, 132);
  assert.deepEqual(
    got.slice(0, 130).map((e) => e?.value.i),
    Array.from({ length: 130 }, (_, i) => 129 - i),
  );
  assert.equal(got[130], null);
  assert.equal(got[131]?.key, `${p}k0`);
  assert.deepEqual(await store.getMany([]), []);
});

test('listApps lists the app records and none of their config, releases or formation', async () => {
  const apps = new AppRecords(store);
  for (const name of ['web', 'web-2', 'api']) await apps.createApp(name, 'main', 'admin');
  await apps.putConfig('web', { A: '1' });
  await store.put(store.keys.formation('web', 'web'), { type: 'web', quantity: 2 });
  await apps.createRelease({
    app: 'web',
    image: 'x',
    imageId: 'sha256:x',
    config: { A: '1' },
    processTypes: { web: '' },
    builder: 'image',
    port: 5000,
    description: 'd',
    createdBy: 'admin',
  });
  const listed = await apps.listApps();
  assert.deepEqual(
    listed.map((a) => a.name),
    ['api', 'web', 'web-2'],
  );
  assert.deepEqual(
    listed,
    (await wholePrefix(store.keys.appsPrefix())).map(([, v]) => v),
  );
});
