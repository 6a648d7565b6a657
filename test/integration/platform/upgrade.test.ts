// Issue #19 item 4: state layout versions (docs/architecture.md §9). A platform holding teams, users, apps,
// releases and a linked service is put back to layout 0 (no version, no team-images records: what ybd wrote before
// both existed) while its router keeps serving; the next ybd migrates it on start, loses nothing, and the app is
// served throughout. A migration cut short after a few records is completed by the next start. A layout newer than
// ybd knows (or a version record it cannot read) is refused in one sentence, with nothing written. `yb version`
// shows both versions. Real etcd, Docker engine, ybd and yb.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPlatform, ROOT, type Platform } from '../../helpers/platform.js';
import { until } from '../../helpers/until.js';
import { ybAs, type Run, usersWithTeams, ybOk } from '../auth/as-user.js';
import { Store } from '../../../src/store/store.js';
import { ensureLayout } from '../../../src/store/migrations/run.js';
import { LAYOUT_VERSION } from '../../../src/store/migrations/steps.js';
import { PLATFORM_VERSION } from '../../../src/shared/version.js';

const HELLO = join(ROOT, 'test/fixtures/apps/dockerfile-hello');
const EXPECTED = readFileSync(join(HELLO, 'EXPECTED'), 'utf8').trim();
const REFUSED = /is not one your team imported or built/;

let p: Platform;
let store: Store;
const tok: Record<string, string> = {};
let builtId = '';

const ok = (user: string, args: string[]): Promise<Run> => ybOk(p, tok[user]!, user, args);

/** Every key and value under the prefix, except what live processes rewrite on their own (leases, endpoints, audit). */
async function state(): Promise<Map<string, string>> {
  const all = await store.client.getAll().prefix('/yunbang/').strings();
  return new Map(Object.entries(all).filter(([k]) => !/^\/yunbang\/(routers|endpoints|events|locks)\//.test(k)));
}

/** Puts the state back to layout 0: what ybd wrote before layouts were versioned and build ownership recorded. */
async function toLayoutZero(): Promise<void> {
  await store.deletePrefix(store.keys.prefix + 'schema/');
  await store.deletePrefix(store.keys.teamImagesPrefix());
}

/** Requests through the router, one fresh connection after another, until stopped; counts what was not the app. */
function steadyLoad(): { stop: () => Promise<{ ok: number; failed: string[] }> } {
  let running = true;
  const failed: string[] = [];
  let okCount = 0;
  const loop = (async () => {
    while (running) {
      const r = await p.fetchApp('up-web.localhost').catch((err: Error) => ({ status: 0, body: err.message }));
      if (r.status === 200 && r.body === EXPECTED) okCount++;
      else failed.push(`${r.status} ${r.body.slice(0, 80)}`);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { ok: okCount, failed };
    },
  };
}

/** Kills ybd as a crash would; the router (its own process) and the embedded etcd keep running. */
async function killYbd(): Promise<void> {
  p.kill9();
  await until('ybd to exit', () => p.child.exitCode !== null || p.child.signalCode !== null);
}

before(async () => {
  p = await startPlatform();
  store = new Store([`http://127.0.0.1:${p.env.YB_ETCD_PORT}`], '/yunbang/');
  tok.admin = p.token;
  Object.assign(tok, await usersWithTeams(p, { alice: 'team-up', bob: 'team-other' }));
  await ok('alice', ['apps:create', 'up-web', '--team', 'team-up', '--no-remote']);
  await ok('alice', ['builds:create', '-a', 'up-web', '--source', HELLO]);
  await ok('alice', ['config:set', 'GREETING=kept', '-a', 'up-web']); // release v2, same image
  await ok('alice', ['services:create', 'redis', 'up-cache', '--team', 'team-up']);
  await ok('alice', ['services:link', 'up-cache', '-a', 'up-web']); // release v3: REDIS_URL
  await ok('alice', ['apps:create', 'up-second', '--team', 'team-up', '--no-remote']);
  await ok('bob', ['apps:create', 'other-web', '--team', 'team-other', '--no-remote']);
  const releases = JSON.parse((await ok('alice', ['releases', '--json', '-a', 'up-web'])).stdout) as Array<{ imageId: string }>;
  builtId = releases[0]!.imageId;
  assert.match(builtId, /^sha256:[0-9a-f]{64}$/);
});

after(async () => {
  store?.close();
  await p?.stop();
});

test('a fresh platform is stamped with the newest layout', async () => {
  const v = await store.get<{ version: number; by: string }>(store.keys.layoutVersion());
  assert.equal(v?.version, LAYOUT_VERSION);
  assert.equal(v?.by, `ybd ${PLATFORM_VERSION}`);
});

test('a layout-0 platform is migrated on start: nothing lost, ownership recorded, the app served throughout', async () => {
  await killYbd();
  await toLayoutZero();
  const old = await state();
  assert.ok(
    [...old.keys()].some((k) => k.includes('/apps/up-web/releases/')),
    'the old state holds releases',
  );
  const load = steadyLoad();
  const t0 = Date.now();
  await p.restart();
  const upgradeMs = Date.now() - t0;
  await until('requests after the restart', async () => (await p.fetchApp('up-web.localhost')).status === 200);
  const { ok: served, failed } = await load.stop();
  process.stdout.write(`# upgrade: ybd restart with migration ${upgradeMs} ms; ${served} requests served, ${failed.length} failed\n`);
  assert.deepEqual(failed, [], 'no request failed during the upgrade');
  assert.ok(served > 0);
  assert.match(p.output(), /state layout migrated/);

  const now = await state();
  const lost = [...old].filter(([k, v]) => now.get(k) !== v && !k.includes('/releases/')).map(([k]) => k);
  assert.deepEqual(lost, [], 'every record of layout 0 is still there, unchanged');
  for (const [k, v] of old) {
    if (!k.includes('/releases/')) continue;
    // Release records are kept; the restart's reconcile may only confirm a rollout status.
    const { status: _a, statusReason: _b, ...was } = JSON.parse(v) as Record<string, unknown>;
    const { status: _c, statusReason: _d, ...is } = JSON.parse(now.get(k) ?? '{}') as Record<string, unknown>;
    assert.deepEqual(is, was, `${k} kept`);
  }
  assert.equal((await store.get<{ version: number }>(store.keys.layoutVersion()))?.version, LAYOUT_VERSION);
  assert.equal(await store.get(store.keys.layoutMigration()), null, 'no migration left in progress');
  const owner = await store.get<{ team: string; source: string; app: string }>(store.keys.teamImage('team-up', builtId));
  assert.deepEqual({ team: owner?.team, source: owner?.source, app: owner?.app }, { team: 'team-up', source: 'build', app: 'up-web' });
  assert.equal(await store.get(store.keys.teamImage('team-other', builtId)), null, 'recorded for the building team only');

  // The service made before the upgrade runs on, with the credentials the app was given.
  const cache = JSON.parse((await ok('alice', ['services:info', 'up-cache', '--json'])).stdout) as { state: string; connection: { url?: string } };
  assert.equal(cache.state, 'running');
  const vars = JSON.parse((await ok('alice', ['config', '-a', 'up-web', '--json'])).stdout) as Record<string, string>;
  assert.equal(vars.REDIS_URL, cache.connection.url);
  assert.equal(vars.GREETING, 'kept');

  // The ownership check reads only the record now (the scan of all releases is gone): the team may deploy its
  // build elsewhere, another team still may not.
  await ok('alice', ['deploy:image', builtId, '-a', 'up-second']);
  await until('up-second served', async () => (await p.fetchApp('up-second.localhost')).body === EXPECTED);
  const steal = await ybAs(p, tok.bob!, ['deploy:image', builtId, '-a', 'other-web']);
  assert.equal(steal.code, 3, `${steal.stdout}${steal.stderr}`);
  assert.match(steal.stderr, REFUSED);
});

test('a migration cut short after a few records is completed by the next start', async () => {
  await killYbd();
  await toLayoutZero();
  // More built releases as layout 0 wrote them: an app of team-up that was never deployed, 30 releases.
  const ids = Array.from({ length: 30 }, (_, i) => `sha256:${i.toString(16).padStart(2, '0').repeat(32)}`);
  await store.put(store.keys.app('up-old'), { name: 'up-old', team: 'team-up', createdAt: '2026-01-01T00:00:00.000Z', createdBy: 'alice', currentRelease: 0 });
  for (const [i, imageId] of ids.entries()) {
    await store.put(store.keys.release('up-old', i + 1), {
      version: i + 1,
      app: 'up-old',
      image: `old/up-old:${i + 1}`,
      imageId,
      config: {},
      processTypes: { web: '' },
      builder: 'buildpacks',
      port: 5000,
      description: 'Deploy',
      createdBy: 'alice',
      createdAt: '2026-01-01T00:00:00.000Z',
      status: 'failed',
    });
  }
  let writes = 0;
  const cut = new Error('cut short');
  const log = { info: () => undefined, warn: () => undefined };
  await assert.rejects(
    ensureLayout(store, {
      by: 'ybd test',
      log,
      onWrite: () => {
        if (++writes === 5) throw cut;
      },
    }),
    cut,
  );
  assert.equal(await store.get(store.keys.layoutVersion()), null, 'the version did not move');
  assert.equal((await store.get<{ step: string }>(store.keys.layoutMigration()))?.step, 'team-images', 'the step in progress is recorded');
  assert.equal(await store.count(store.keys.teamImagesPrefix('team-up')), 5);

  await p.restart();
  assert.match(p.output(), /resuming the layout migration cut short at step team-images/);
  assert.equal((await store.get<{ version: number }>(store.keys.layoutVersion()))?.version, LAYOUT_VERSION);
  assert.equal(await store.get(store.keys.layoutMigration()), null);
  for (const id of [...ids, builtId]) assert.ok(await store.get(store.keys.teamImage('team-up', id)), `${id} recorded`);
  assert.equal(await store.count(store.keys.teamImagesPrefix('team-up')), ids.length + 1);
  // A second run of the step on the finished state writes nothing.
  assert.equal(writes, 5);
  const again = await ensureLayout(store, { by: 'ybd test', log });
  assert.deepEqual(again, { version: LAYOUT_VERSION, migrated: [] });
});

test('a layout newer than ybd knows is refused in one sentence, and nothing is written', async () => {
  await killYbd();
  const newer = LAYOUT_VERSION + 1;
  await store.put(store.keys.layoutVersion(), { version: newer, by: 'ybd 99.0.0', at: new Date().toISOString() });
  const before = await state();
  const revision = await store.revision();
  await assert.rejects(p.restart(), /ybd exited \(1\)/);
  const said = p.output();
  assert.match(
    said,
    new RegExp(
      `ybd: the platform state under /yunbang/ has layout version ${newer}, but this ybd \\(ybd ${PLATFORM_VERSION.replaceAll('.', '\\.')}\\) knows layouts up to ${LAYOUT_VERSION}; run the newer ybd that wrote it`,
    ),
  );
  assert.ok(!said.includes('    at '), `no stack trace:\n${said}`);
  assert.equal(await store.revision(), revision, 'no write to etcd at all');
  assert.deepEqual(await state(), before);
  assert.equal((await p.fetchApp('up-web.localhost')).body, EXPECTED, 'the router kept serving');

  // A version record ybd cannot read is refused the same way.
  await store.put(store.keys.layoutVersion(), { version: 'two' });
  const revision2 = await store.revision();
  await assert.rejects(p.restart(), /ybd exited \(1\)/);
  assert.match(p.output(), /ybd: \/yunbang\/schema\/version holds no layout version \(\{"version":"two"\}\); restore it from a backup/);
  assert.equal(await store.revision(), revision2, 'no write to etcd at all');

  // Back to the known layout, so the platform starts (and stops cleanly).
  await store.put(store.keys.layoutVersion(), { version: LAYOUT_VERSION, by: 'test', at: new Date().toISOString() });
  await p.restart();
});

test('yb version shows the CLI and server versions; /version needs a token', async () => {
  const r = await ok('alice', ['version']);
  assert.match(r.stdout, new RegExp(`^yb ${PLATFORM_VERSION.replaceAll('.', '\\.')} \\(Node\\.js v24\\.`, 'm'));
  assert.match(
    r.stdout,
    new RegExp(`^server ${PLATFORM_VERSION.replaceAll('.', '\\.')} at ${p.apiUrl} \\(Node\\.js v24\\.[0-9.]+, state layout ${LAYOUT_VERSION}\\)$`, 'm'),
  );
  assert.equal(r.stderr, '', 'no mismatch warning');
  const j = JSON.parse((await ok('alice', ['version', '--json'])).stdout) as {
    cli: { version: string };
    server: { version: string; layout: number };
    mismatch: boolean;
  };
  assert.deepEqual([j.cli.version, j.server.version, j.server.layout, j.mismatch], [PLATFORM_VERSION, PLATFORM_VERSION, LAYOUT_VERSION, false]);
  assert.equal((await fetch(`${p.apiUrl}/version`)).status, 401);
});
