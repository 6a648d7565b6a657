// Issue #19 item 5: platform backup and restore (docs/architecture.md §9). A platform with two apps (a buildpack app
// linked to a Redis holding a value, a Dockerfile app in another team), config vars and a team member with a
// password is backed up with `yb admin:backup` while it runs, then stopped; its containers, images and volumes are
// removed. `ybd restore FILE` onto a new data dir (a new instance, so nothing of the old one is reused) rebuilds both
// images from the restored git repos, brings Redis back from its backup, and serves the same answers; the member logs
// in with the same password. A restore into a platform holding state and one of a newer layout are refused in one
// sentence. Real etcd, Docker engine, git, ybd and yb. Prints the backup size and the backup and restore times.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import { startPlatform, fixtureRepo, git, httpGet, type Platform } from '../../helpers/platform.js';
import { until } from '../../helpers/until.js';
import { freshEnv, restored as restoredPlatform, ybd, ybdRestore, type Restored } from '../../helpers/restored-platform.js';
import { ybAs } from '../auth/as-user.js';

const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), 'yb-backup-'));
const archive = join(work, 'platform.tar.gz');
let p: Platform | null = null;
let restored: Restored | null = null;
const before_: Record<string, string> = {};
const measured: Record<string, string> = {};

before(async () => {
  p = await startPlatform();
  const ok = async (args: string[], input?: string) => {
    const r = await ybAs(p!, p!.token, args, { input });
    assert.equal(r.code, 0, `yb ${args.join(' ')}: ${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  await ok(['users:create', 'carol', '--password-stdin'], 'carol-secret-pass\n');
  await ok(['teams:create', 'team-b']);
  await ok(['members:add', 'carol', '--team', 'team-b', '--role', 'member']);

  const shop = await fixtureRepo('node-db', work);
  await ok(['apps:create', 'shop', '--no-remote']);
  const pushShop = await git(shop, ['push', pushUrl('shop'), 'main']);
  assert.equal(pushShop.code, 0, pushShop.output);
  const hello = await fixtureRepo('dockerfile-hello', work);
  await ok(['apps:create', 'hello', '--team', 'team-b', '--no-remote']);
  const pushHello = await git(hello, ['push', pushUrl('hello'), 'main']);
  assert.equal(pushHello.code, 0, pushHello.output);
  await ok(['config:set', 'GREETING=kept-through-restore', '-a', 'hello']);
  await ok(['services:create', 'redis', 'cache']);
  await ok(['services:link', 'cache', '-a', 'shop']);
  assert.equal((await app(p.routerPort, 'shop', '/redis/set?k=greeting&v=survives')).body, 'OK');

  for (const [host, path] of [
    ['shop', '/'],
    ['shop', '/redis/get?k=greeting'],
    ['shop', '/env'],
    ['hello', '/'],
  ] as const) {
    before_[`${host}${path}`] = (await app(p.routerPort, host, path)).body;
  }
});

after(async () => {
  await restored?.stop();
  if (p) {
    await p.stop();
    await p.probe.removeVolumes();
  }
  rmSync(work, { recursive: true, force: true });
  process.stdout.write(`# backup/restore measured: ${JSON.stringify(measured)}\n`);
});

function pushUrl(app: string): string {
  return `http://yb:${p!.token}@${new URL(p!.apiUrl).host}/git/${app}.git`;
}

async function app(routerPort: number, name: string, path: string): Promise<{ status: number; body: string }> {
  const r = await httpGet(routerPort, `${name}.localhost`, path);
  assert.equal(r.status, 200, `${name}${path}: ${r.status} ${r.body}`);
  return r;
}

test('yb admin:backup writes the whole platform while it runs; only an administrator may', async () => {
  const carol = await ybAs(p!, null, ['login', '-u', 'carol'], { input: 'carol-secret-pass\n', home: work });
  assert.equal(carol.code, 0, carol.stderr);
  const denied = await ybAs(p!, null, ['admin:backup', join(work, 'denied.tar.gz')], { home: work });
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /only platform administrators back up the platform/);

  const t0 = Date.now();
  const r = await ybAs(p!, p!.token, ['admin:backup', archive]);
  measured.backupMs = String(Date.now() - t0);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Backed up to .*platform\.tar\.gz/);
  measured.backupBytes = String(statSync(archive).size);
  for (const line of p!
    .output()
    .split('\n')
    .filter((l) => l.includes('"component":"backup"')))
    process.stdout.write(`# ${line}\n`);

  const listing = (await run('tar', ['-tzf', archive])).stdout.split('\n').filter(Boolean);
  assert.equal(listing.at(-1), 'manifest.json');
  for (const want of ['etcd/keys.jsonl', 'etcd/snapshot.db', 'data/secret.key', 'data/repos/shop.git/HEAD', 'data/repos/hello.git/HEAD'])
    assert.ok(listing.includes(want), want);
  assert.ok(
    listing.some((n) => /^data\/backups\/cache\/\d{8}T\d{6}Z-[0-9a-f]{4}\.rdb$/.test(n)),
    'a fresh redis backup',
  );
  const manifest = JSON.parse((await run('tar', ['-xzOf', archive, 'manifest.json'])).stdout) as { counts: Record<string, number>; layout: number };
  assert.deepEqual({ apps: manifest.counts.apps, services: manifest.counts.services, repos: manifest.counts.repos }, { apps: 2, services: 1, repos: 2 });
});

test('a client that hangs up mid-backup ends that backup; the next one runs', async () => {
  // 48 MiB that does not compress, so the server is blocked writing when the client goes (git ignores a lone pack).
  const big = join(p!.dataDir, 'repos', 'shop.git', 'objects', 'pack', 'pack-hangup.pack');
  writeFileSync(big, randomBytes(48 * 1024 * 1024));
  try {
    const ac = new AbortController();
    const res = await fetch(`${p!.apiUrl}/admin/backup`, { headers: { authorization: `Bearer ${p!.token}` }, signal: ac.signal });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    await reader.read();
    ac.abort();
    await until('a new backup to be accepted', async () => {
      const again = await fetch(`${p!.apiUrl}/admin/backup`, { headers: { authorization: `Bearer ${p!.token}` } });
      if (again.status === 409) {
        await again.body?.cancel();
        return false;
      }
      assert.equal(again.status, 200);
      const bytes = Buffer.from(await again.arrayBuffer());
      assert.ok(bytes.length > 48 * 1024 * 1024, 'a whole archive');
      return true;
    });
    assert.match(p!.output(), /the client closed the connection before the backup was complete/);
  } finally {
    rmSync(big, { force: true });
  }
});

test('ybd restore refuses a newer state layout than it knows, with nothing written', async () => {
  // The manifest is outside the sha256 list (it is the list): a changed layout there passes the part checks.
  const tarBytes = gunzipSync(readFileSync(archive));
  const newer = join(work, 'newer.tar.gz');
  const dir = mkdtempSync(join(work, 'x-'));
  writeFileSync(join(work, 'plain.tar'), tarBytes);
  await run('tar', ['-xf', join(work, 'plain.tar'), '-C', dir]);
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { layout: number };
  m.layout = 999;
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
  const names = (await run('tar', ['-tf', join(work, 'plain.tar')])).stdout.split('\n').filter(Boolean);
  await run('tar', ['-cf', join(work, 'newer.tar'), '-C', dir, ...names]);
  writeFileSync(newer, gzipSync(readFileSync(join(work, 'newer.tar'))));
  const fresh = await freshEnv();
  const r = await ybdRestore(fresh.env, newer).done;
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /ybd: the backup holds state layout 999, newer than this ybd knows \(\d+\)/);
  assert.deepEqual(
    (await run('ls', ['-A', fresh.dataDir])).stdout.split('\n').filter((n) => n && n !== 'logs'),
    [],
  );
  rmSync(fresh.dataDir, { recursive: true, force: true });
});

test('ybd restore onto a fresh data dir brings both apps, their config, Redis data and the team member back', async () => {
  const old = p!;
  await old.stop(); // also removes its containers, networks and labelled images: the restore must rebuild
  await old.probe.removeVolumes(); // and the Redis volume: its data must come from the backup
  p = null;
  const left = (await run('docker', ['ps', '-aq', '--filter', `label=yunbang.instance=${old.instance}`])).stdout.trim();
  assert.equal(left, '');

  const fresh = await freshEnv();
  const t0 = Date.now();
  const r = ybdRestore(fresh.env, archive, 'Yunbang is running');
  restored = restoredPlatform(fresh, r.child);
  const res = await r.done;
  assert.equal(res.code, null, res.out);
  measured.restoreMs = String(Date.now() - t0);
  assert.match(res.out, /Restored the backup of .* 2 apps, 1 services, 2 repos/);
  assert.match(res.out, /"msg":"restore: done"/, `every service and image came back:\n${res.out}`);

  for (const [key, body] of Object.entries(before_)) {
    const [host, ...rest] = key.split('/');
    assert.equal((await app(fresh.routerPort, host!, `/${rest.join('/')}`)).body, body, key);
  }
  assert.equal((await app(fresh.routerPort, 'shop', '/redis/get?k=greeting')).body, '"survives"');

  const token = restored.token();
  const yb = (args: string[], tok: string | null, input = '') => restored!.yb(args, tok, { input, home: work });
  const cfg = await yb(['config:get', 'GREETING', '-a', 'hello'], token);
  assert.equal(cfg.out.trim(), 'kept-through-restore');
  const login = await yb(['login', '-u', 'carol'], null, 'carol-secret-pass\n');
  assert.equal(login.code, 0, login.out);
  const apps = await yb(['apps', '--json'], null);
  assert.deepEqual(
    (JSON.parse(apps.out) as Array<{ name: string }>).map((a) => a.name),
    ['hello'],
  );
  // Both images are rebuilds from the restored repos (a build by "restore" of the release's commit), serving now.
  for (const name of ['shop', 'hello']) {
    const builds = JSON.parse((await yb(['builds', '-a', name, '--json'], token)).out) as Array<{ createdBy: string; status: string; sourceCommit: string }>;
    const rebuilt = builds.filter((b) => b.createdBy === 'restore');
    assert.equal(rebuilt.length, 1, JSON.stringify(builds));
    assert.equal(rebuilt[0]!.status, 'succeeded');
    assert.equal(rebuilt[0]!.sourceCommit, builds[0]!.sourceCommit);
    const release = JSON.parse((await yb(['releases:info', '-a', name, '--json'], token)).out) as { imageId: string };
    const label = (await run('docker', ['image', 'inspect', '-f', '{{index .Config.Labels "yunbang.instance"}}', release.imageId])).stdout.trim();
    assert.equal(label, fresh.instance, `${name} runs an image of the restored platform`);
  }
});

test('a restore into a data dir or an etcd that already holds a platform is refused in one sentence', async () => {
  assert.ok(restored, 'the restore test ran');
  const again = await ybdRestore(restored!.env, archive).done;
  assert.equal(again.code, 1, again.out);
  assert.match(again.out, /ybd: .* is already a platform's data dir \(it holds secret\.key\); restore onto a fresh YB_DATA_DIR/);

  const fresh = await freshEnv();
  const r = await ybdRestore({ ...fresh.env, YB_ETCD_ENDPOINTS: `http://127.0.0.1:${restored!.env.YB_ETCD_PORT}` }, archive).done;
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /ybd: etcd already holds a platform under \/yunbang\/ \(\d+ keys, 2 apps\); restore onto a fresh platform/);
  rmSync(fresh.dataDir, { recursive: true, force: true });
  const viaCli = await restored!.yb(['admin:restore', archive], restored!.token());
  assert.equal(viaCli.code, 2);
  assert.match(viaCli.out, /a backup is restored on the platform's host onto a fresh data dir, not into a running platform: run "ybd restore /);
  // The running restored platform kept its etcd and keeps serving.
  assert.equal((await app(restored!.routerPort, 'hello', '/')).body, before_['hello/']);
});

test('a restore killed while it brings the apps back is completed by the next start of ybd', async () => {
  const fresh = await freshEnv();
  const first = ybdRestore(fresh.env, archive, 'restore: rebuilding the release image');
  let second: ReturnType<typeof ybd> | null = null;
  try {
    assert.equal((await first.done).code, null, first.out());
    first.child.kill('SIGKILL'); // mid-build; its etcd and router stay, as after a crash
    await new Promise((r) => first.child.once('exit', r));
    assert.match(readFileSync(join(fresh.dataDir, 'restore.json'), 'utf8'), /"phase": "apps"/);

    second = ybd(fresh.env, [], 'Yunbang is running');
    const res = await second.done;
    assert.equal(res.code, null, res.out);
    assert.match(res.out, /"msg":"restore: done"/, 'every service and image came back (not "done with failures")');
    try {
      assert.equal((await app(fresh.routerPort, 'shop', '/redis/get?k=greeting')).body, '"survives"');
      assert.equal((await app(fresh.routerPort, 'hello', '/')).body, before_['hello/']);
    } catch (err) {
      process.stdout.write(`# the first ybd:\n${first.out().replace(/^/gm, '#   ')}\n# the second:\n${second.out().replace(/^/gm, '#   ')}\n`);
      throw err;
    }
    assert.throws(() => readFileSync(join(fresh.dataDir, 'restore.json')), /ENOENT/, 'the marker is gone once everything is back');
  } finally {
    await restoredPlatform(fresh, second?.child ?? first.child).stop();
  }
});
