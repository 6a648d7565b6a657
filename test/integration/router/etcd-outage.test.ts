// The router keeps serving its last table while etcd is down, and resumes watching and publishing after.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startEtcd, startUpstream, startTestRouter, uniquePrefix, putRoute, putEndpoint, get, type Etcd, type Upstream } from './harness.js';
import { keys } from '../../../src/store/keys.js';
import { watchPrefixes, type PrefixSnapshot } from '../../../src/store/watch-prefix.js';
import type { RunningRouter } from '../../../src/router/router.js';

let etcd: Etcd | undefined;
let router: (RunningRouter & { url: string }) | undefined;
const ups: Upstream[] = [];
after(async () => {
  await router?.close();
  await Promise.all(ups.map((u) => u.close()));
  await etcd?.close();
});

test('watchPrefixes: one snapshot per burst, unchanged rewrites are progress only, other keys ignored', async () => {
  etcd ??= await startEtcd();
  const prefix = uniquePrefix();
  const snaps: PrefixSnapshot[] = [];
  const progress: number[] = [];
  let onNext: ((s: PrefixSnapshot) => void) | undefined;
  let onProg: ((r: number) => void) | undefined;
  const w = watchPrefixes(etcd.client, {
    prefixes: [`${prefix}routes/`, `${prefix}endpoints/`],
    debounceMs: 1,
    onSnapshot: (s) => (snaps.push(s), onNext?.(s)),
    onProgress: (r) => (progress.push(r), onProg?.(r)),
  });
  try {
    const first = await w.ready;
    assert.equal(first.kvs.size, 0);
    const next = () => new Promise<PrefixSnapshot>((r) => (onNext = r));
    // A transaction of 50 puts (one revision) plus a key outside the prefixes: one snapshot.
    let p = next();
    const txn = etcd.client
      .if(`${prefix}nothing`, 'Version', '==', 0)
      .then(
        ...Array.from({ length: 50 }, (_, i) => etcd!.client.put(`${prefix}routes/h${i}.test`).value(`{"app":"a${i}"}`)),
        etcd.client.put(`${prefix}apps/x`).value('{}'),
      );
    const rev = Number((await txn.commit()).header.revision);
    let s = await p;
    assert.equal(s.kvs.size, 50);
    assert.equal(s.revision, rev);
    assert.ok(![...s.kvs.keys()].some((k) => k.includes('/apps/')));
    // The same value written again: no snapshot, but the revision is reported as progress.
    const count = snaps.length;
    const prog = new Promise<number>((r) => (onProg = r));
    const rev2 = Number((await etcd.client.put(`${prefix}routes/h0.test`).value('{"app":"a0"}').exec()).header.revision);
    assert.equal(await prog, rev2);
    assert.equal(snaps.length, count);
    // Keys between the prefixes (here locks/, which sorts between endpoints/ and routes/) neither make a
    // snapshot nor advance the revision: the router's own routers/<id> writes would otherwise feed back.
    const before = progress.length;
    const snapsBefore = snaps.length;
    await etcd.client.put(`${prefix}locks/x`).value('1').exec();
    p = next();
    const rev3 = Number((await etcd.client.put(`${prefix}routes/h2.test`).value('{"app":"changed"}').exec()).header.revision);
    s = await p;
    assert.equal(s.revision, rev3);
    assert.equal(progress.length, before, 'no progress for a key outside the prefixes');
    assert.equal(snaps.length, snapsBefore + 1);
    // A delete is a change.
    p = next();
    await etcd.client.delete().key(`${prefix}routes/h1.test`).exec();
    s = await p;
    assert.equal(s.kvs.size, 49);
    assert.equal(s.kvs.has(`${prefix}routes/h1.test`), false);
  } finally {
    await w.close();
  }
});

test('etcd restart while serving: no failed request, table kept, watch and registration resume', async () => {
  etcd ??= await startEtcd();
  const prefix = uniquePrefix();
  const u = await startUpstream('steady');
  ups.push(u);
  await putRoute(etcd.client, prefix, 'steady.localhost', 'steady');
  await putEndpoint(etcd.client, prefix, 'steady', 'web.1', u.port);
  router = await startTestRouter(etcd.etcd.endpoint, prefix);

  let running = true;
  let ok = 0;
  const failures: string[] = [];
  let okWaiter: { n: number; resolve: () => void } | undefined;
  const loop = (async () => {
    while (running) {
      try {
        const r = await request(router!.url, { headers: { host: 'steady.localhost' } });
        await r.body.dump();
        if (r.statusCode === 200) ok++;
        else failures.push(`status ${r.statusCode}`);
      } catch (err) {
        failures.push((err as Error).message);
      }
      if (okWaiter && ok >= okWaiter.n) okWaiter.resolve();
    }
  })();
  const served = (more: number) => new Promise<void>((resolve) => (okWaiter = { n: ok + more, resolve }));

  await served(50);
  await etcd.stop();
  await served(200); // served with etcd down
  await etcd.start();
  await served(50);

  // The watch resumes: a new route written after the restart gets routed, and the revision is published.
  const u2 = await startUpstream('after');
  ups.push(u2);
  await putRoute(etcd.client, prefix, 'after.localhost', 'after');
  const rev = await putEndpoint(etcd.client, prefix, 'after', 'web.1', u2.port);
  await router.waitPublished(rev);
  assert.equal((await get(router.url, 'after.localhost')).json().name, 'after');
  const rec = JSON.parse((await etcd.client.get(keys(prefix).router(router.id)).string())!) as { revision: number };
  assert.ok(rec.revision >= rev);

  running = false;
  await loop;
  assert.deepEqual(failures, []);
  assert.ok(ok > 300);
});
