// The deployer's decisions, driven through FakeRuntime and an in-memory store: a deploy whose processes fail their
// check leaves the release failed and the previous one serving; a rollback makes a new release of the old image
// and config; the release phase runs before the rollout and a failing one stops it; a scale does not touch other
// types; changes to one app never run beside each other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeRuntime, fakeImageId } from '../../helpers/fake-runtime.js';
import { MemoryStore } from '../../helpers/memory-store.js';
import { Scheduler } from '../../../src/scheduler/scheduler.js';
import { Deployer } from '../../../src/deploy/pipeline.js';
import type { BuildService } from '../../../src/build/build-service.js';
import { AppRecords } from '../../../src/release/app-records.js';
import { createLogger } from '../../../src/shared/logger.js';

const log = createLogger('test', 'silent');

async function world(behaviour: ConstructorParameters<typeof FakeRuntime>[0] = {}) {
  const mem = new MemoryStore();
  const store = mem.asStore();
  const runtime = new FakeRuntime(behaviour);
  const apps = new AppRecords(store);
  const scheduler = new Scheduler(store, runtime, { healthTimeoutMs: 300, uptimeMs: 0, stopGraceSeconds: 0, routerConfirmTimeoutMs: 1000 }, log);
  // Only what deployImage and retention use of the build service: images as the runtime has them.
  const builds = {
    describeImage: async (ref: string) => {
      const i = await runtime.images.describe(ref);
      if (!i) throw new Error(`no image ${ref}`);
      return { id: i.id, port: i.exposedPort ?? 5000, healthcheck: false };
    },
    removeImage: async (id: string) => {
      await runtime.images.remove(id);
      return true;
    },
  } as unknown as BuildService;
  const deployer = new Deployer(apps, builds, scheduler, log);
  await apps.createApp('shop', 'red', 'alice');
  for (const tag of ['shop:1', 'shop:2', 'shop:broken'])
    await apps.images.record({ id: runtime.images.add(tag).id, team: 'red', source: 'import', refs: [tag], by: 'alice' });
  const out: string[] = [];
  return { runtime, apps, deployer, out, say: (l: string) => out.push(l) };
}

test('a deploy whose process never listens is marked failed; the release before it keeps serving and stays current', async () => {
  const w = await world({ probesUntilListening: (spec) => (spec.image === fakeImageId('shop:broken') ? Infinity : 0) });
  await w.deployer.deployImage({ app: 'shop', image: 'shop:1', user: 'alice' }, w.say);
  await assert.rejects(w.deployer.deployImage({ app: 'shop', image: 'shop:broken', user: 'alice' }, w.say), /failed its health check/);
  const releases = await w.apps.listReleases('shop');
  assert.deepEqual(
    releases.map((r) => [r.version, r.status]),
    [
      [1, 'succeeded'],
      [2, 'failed'],
    ],
  );
  assert.equal((await w.apps.getApp('shop'))!.currentRelease, 1);
  assert.deepEqual(w.runtime.running(), ['web.1 v1']);
});

test('a rollback makes a new release with the image and config of the one before', async () => {
  const w = await world();
  await w.deployer.deployImage({ app: 'shop', image: 'shop:1', user: 'alice' }, w.say);
  await w.apps.putConfig('shop', { MODE: 'new' });
  await w.deployer.deployImage({ app: 'shop', image: 'shop:2', user: 'alice' }, w.say);
  const back = await w.deployer.rollback('shop', undefined, 'bob', w.say);
  assert.equal(back.version, 3);
  assert.equal(back.imageId, fakeImageId('shop:1'));
  assert.deepEqual(back.config, {});
  assert.equal(back.description, 'Rollback to v1');
  assert.deepEqual(w.runtime.running(), ['web.1 v3']);
});

test('a failing release phase stops the deploy before any process of the new release starts', async () => {
  const w = await world({ taskExit: (spec) => (spec.command.at(-1) === 'migrate' ? 3 : 0) });
  await w.deployer.deployImage({ app: 'shop', image: 'shop:1', user: 'alice' }, w.say);
  // An earlier release whose image has a release phase, rolled back to.
  const { version: _v, createdAt: _c, status: _s, ...v1 } = (await w.apps.getRelease('shop', 1))!;
  const withPhase = await w.apps.createRelease({ ...v1, processTypes: { web: 'serve', release: 'migrate' }, description: 'Deploy' });
  await w.apps.setReleaseStatus('shop', withPhase.version, 'succeeded');
  w.runtime.log.length = 0;
  await assert.rejects(w.deployer.rollback('shop', withPhase.version, 'alice', w.say), /release phase failed \(exit code 3\); nothing was rolled out/);
  assert.deepEqual(w.runtime.log, ['task /bin/sh -c migrate'], 'the release phase ran, and nothing was started');
  assert.deepEqual(w.runtime.running(), ['web.1 v1']);
  assert.equal((await w.apps.getRelease('shop', 3))!.status, 'failed');
});

test('changes to one app wait for each other: two deploys at once run one after the other', async () => {
  const w = await world();
  await Promise.all([
    w.deployer.deployImage({ app: 'shop', image: 'shop:1', user: 'alice' }, w.say),
    w.deployer.deployImage({ app: 'shop', image: 'shop:2', user: 'alice' }, w.say),
  ]);
  assert.ok(w.out.includes('Waiting for the deploy in progress on shop to finish…'));
  const starts = w.runtime.log.filter((l) => l.startsWith('start') || l.startsWith('stop'));
  assert.deepEqual(starts, ['start web.1 v1', 'start web.1 v2', 'stop web.1 v1']);
  assert.deepEqual(w.runtime.running(), ['web.1 v2']);
});

test("a promotion releases the source app's image with the target's own config, in the target's queue (issue #18 item 5)", async () => {
  const w = await world();
  await w.apps.createApp('shop-prod', 'red', 'alice');
  await w.apps.putConfig('shop', { MODE: 'staging' });
  await w.apps.putConfig('shop-prod', { MODE: 'production' });
  const staged = await w.deployer.deployImage({ app: 'shop', image: 'shop:2', user: 'alice' }, w.say);
  const promoted = await w.deployer.promote({ app: 'shop-prod', source: staged, user: 'bob' }, w.say);
  assert.equal(promoted.app, 'shop-prod');
  assert.equal(promoted.version, 1);
  assert.equal(promoted.imageId, staged.imageId, 'the same image');
  assert.deepEqual(promoted.config, { MODE: 'production' });
  assert.equal(promoted.description, 'Promote shop v1');
  assert.equal(promoted.build, undefined, "the source app's build record is not the target's");
  assert.equal((await w.apps.getApp('shop-prod'))!.currentRelease, 1);
  assert.deepEqual((await w.apps.getRelease('shop', 1))!.config, { MODE: 'staging' }, 'the source keeps its own');
});

test('a promotion of an image no longer kept is refused in one sentence and makes no release', async () => {
  const w = await world();
  await w.apps.createApp('shop-prod', 'red', 'alice');
  const staged = await w.deployer.deployImage({ app: 'shop', image: 'shop:1', user: 'alice' }, w.say);
  await assert.rejects(
    w.deployer.promote({ app: 'shop-prod', source: { ...staged, imageId: 'sha256:gone', image: 'gone:1' }, user: 'bob' }, w.say),
    /the image of shop v1 is no longer kept \(release retention\); deploy shop again/,
  );
  assert.deepEqual(await w.apps.listReleases('shop-prod'), []);
});
