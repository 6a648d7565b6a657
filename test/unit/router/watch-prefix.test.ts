// watchPrefixes against a scripted stand-in for the etcd3 client (the real etcd is in the integration tests).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Etcd3 } from 'etcd3';
import { watchPrefixes, type PrefixSnapshot } from '../../../src/store/watch-prefix.js';

const kv = (key: string, value: string, rev: number) => ({ key: Buffer.from(key), value: Buffer.from(value), mod_revision: String(rev) });

function fakeClient(initial: Array<[string, string]>, revision: number) {
  const watcher = Object.assign(new EventEmitter(), { cancel: async () => undefined });
  let startRevision = '';
  const client = {
    getAll: () => ({ inRange: () => ({ exec: async () => ({ header: { revision: String(revision) }, kvs: initial.map(([k, v]) => kv(k, v, 1)) }) }) }),
    watch: () => ({ inRange: () => ({ startRevision: (r: string) => ((startRevision = r), { create: async () => watcher }) }) }),
  } as unknown as Etcd3;
  const put = (rev: number, ...pairs: Array<[string, string]>) =>
    watcher.emit('data', { header: { revision: String(rev) }, events: pairs.map(([k, v]) => ({ type: 'Put', kv: kv(k, v, rev) })) });
  const del = (rev: number, key: string) => watcher.emit('data', { header: { revision: String(rev) }, events: [{ type: 'Delete', kv: kv(key, '', rev) }] });
  return { client, put, del, startRevision: () => startRevision };
}

async function setup(t: import('node:test').TestContext) {
  const f = fakeClient(
    [
      ['/p/routes/a', '1'],
      ['/p/apps/x', 'not ours'],
    ],
    10,
  );
  const snaps: PrefixSnapshot[] = [];
  const progress: number[] = [];
  const w = watchPrefixes(f.client, {
    prefixes: ['/p/routes/', '/p/endpoints/'],
    debounceMs: 5,
    onSnapshot: (s) => snaps.push(s),
    onProgress: (r) => progress.push(r),
  });
  const first = await w.ready;
  // Only now: the list and the watch creation above wait on real promises.
  t.mock.timers.enable({ apis: ['setTimeout'] });
  t.after(() => void w.close());
  return { f, w, snaps, progress, first };
}

test('lists first, then watches from the next revision', async (t) => {
  const { f, first } = await setup(t);
  assert.equal(first.revision, 10);
  assert.deepEqual([...first.kvs], [['/p/routes/a', '1']]);
  assert.equal(f.startRevision(), '11');
});

test('a burst within the debounce window is one snapshot; unchanged values are progress only', async (t) => {
  const { f, snaps, progress } = await setup(t);
  f.put(11, ['/p/routes/b', '2']);
  f.put(12, ['/p/endpoints/b/web/1', '3']);
  t.mock.timers.tick(5);
  assert.equal(snaps.length, 2);
  assert.equal(snaps[1]!.revision, 12);
  assert.equal(snaps[1]!.kvs.size, 3);
  f.put(13, ['/p/routes/b', '2']);
  t.mock.timers.tick(5);
  assert.equal(snaps.length, 2);
  assert.deepEqual(progress, [13]);
  f.del(14, '/p/routes/b');
  t.mock.timers.tick(5);
  assert.equal(snaps.length, 3);
  assert.equal(snaps[2]!.kvs.has('/p/routes/b'), false);
});

test('keys between the prefixes neither make snapshots nor advance the revision (no feedback from routers/<id>)', async (t) => {
  const { f, snaps, progress } = await setup(t);
  f.put(11, ['/p/routers/me', '{"revision":10}']);
  f.put(12, ['/p/locks/x', '1']);
  t.mock.timers.tick(50);
  assert.equal(snaps.length, 1);
  assert.deepEqual(progress, []);
});
