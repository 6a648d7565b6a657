// Issue #7 end to end: backing services as real containers (PostgreSQL, Redis, MariaDB built from Debian
// packages), linked to the node-db fixture app through config vars. Data survives an app redeploy, service
// restarts, a control-plane restart and a backup/restore round trip; unlink leaves no variable behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPlatform, fixtureRepo, git, commitAll, type Platform } from '../../helpers/platform.js';

const APP = 'shop';
let p: Platform;
let repo: string;

interface Service {
  name: string;
  kind: string;
  state: string;
  connection: { host: string; port: number; user?: string; password?: string; url?: string };
  links: Array<{ app: string; alias: string }>;
}

before(async () => {
  p = await startPlatform({ YB_SERVICE_BACKUPS_KEPT: '2' });
  repo = await fixtureRepo('node-db', p.dataDir);
  await p.yb(['apps:create', APP], { cwd: repo });
  const push = await git(repo, ['push', pushUrl(APP), 'main']);
  assert.equal(push.code, 0, push.output);
});

after(async () => {
  if (p && p.child.exitCode !== null)
    process.stdout.write(
      `# ybd exited (${p.child.exitCode}); its output:\n${p
        .output()
        .split('\n')
        .slice(-40)
        .map((l) => `#   ${l}`)
        .join('\n')}\n`,
    );
  await p?.stop();
  await p?.probe.removeVolumes();
});

function pushUrl(app: string): string {
  return `http://yb:${p.token}@${new URL(p.apiUrl).host}/git/${app}.git`;
}

/** GET a path of the app through the router; fails the test on a non-200 answer. */
async function app(path: string): Promise<string> {
  const r = await p.fetchApp(`${APP}.localhost`, path);
  assert.equal(r.status, 200, `${path}: ${r.body}`);
  return r.body;
}

async function config(): Promise<Record<string, string>> {
  return JSON.parse((await p.yb(['config', '-a', APP, '--json'])).stdout) as Record<string, string>;
}

async function info(name: string): Promise<Service> {
  return JSON.parse((await p.yb(['services:info', name, '--json'])).stdout) as Service;
}

test('services:create starts postgres, redis and mysql on the team network, health-checked, with credentials', async () => {
  const started = Date.now();
  const made = await Promise.all([
    p.yb(['services:create', 'postgres', 'pg-main']),
    p.yb(['services:create', 'redis', 'cache']),
    p.yb(['services:create', 'mysql', 'my-db']),
  ]);
  const secs = (Date.now() - started) / 1000;
  for (const m of made) assert.match(m.stderr + m.stdout, /ready/);
  process.stdout.write(`# services:create (3 in parallel): ${secs.toFixed(1)} s\n`);
  const list = JSON.parse((await p.yb(['services', '--json'])).stdout) as Service[];
  assert.deepEqual(list.map((s) => [s.name, s.kind, s.state]).sort(), [
    ['cache', 'redis', 'running'],
    ['my-db', 'mysql', 'running'],
    ['pg-main', 'postgres', 'running'],
  ]);
  assert.equal(list[0]!.connection.password, undefined, 'the list never shows credentials');
  const pg = await info('pg-main');
  assert.equal(pg.connection.host, 'pg-main');
  assert.match(pg.connection.url ?? '', /^postgres:\/\/u[0-9a-f]+:[A-Za-z0-9_-]{32}@pg-main:5432\/pg_main$/);
  assert.equal((await p.probe.volumes()).length, 3, 'one volume per service');
  const dup = await p.yb(['services:create', 'redis', 'cache'], { allowFail: true });
  assert.notEqual(dup.code, 0);
  assert.match(dup.stderr, /already exists/);
});

test('services:link sets the vars in a new release and the app uses all three services', async () => {
  await p.yb(['services:link', 'pg-main', '-a', APP]);
  await p.yb(['services:link', 'cache', '-a', APP]);
  await p.yb(['services:link', 'my-db', '-a', APP]);
  const vars = await config();
  for (const prefix of ['DATABASE', 'REDIS', 'MYSQL']) {
    for (const part of ['URL', 'HOST', 'PORT', 'USER', 'PASSWORD', 'NAME']) assert.ok(`${prefix}_${part}` in vars, `${prefix}_${part} is set`);
  }
  assert.equal(vars.DATABASE_HOST, 'pg-main');
  assert.equal(vars.REDIS_URL!.startsWith('redis://default:'), true);
  const current = JSON.parse((await p.yb(['releases:info', '-a', APP, '--json'])).stdout) as { version: number; description: string };
  assert.equal(current.version, 4, 'v1 (push) + one release per link');
  assert.match(current.description, /Set MYSQL_URL, MYSQL_HOST/);

  assert.equal(await app('/pg/write?v=first'), 'ok');
  assert.equal(await app('/pg/write?v=second'), 'ok');
  assert.equal(await app('/pg/read'), '["first","second"]');
  assert.equal(await app('/redis/set?k=greeting&v=hello'), 'OK');
  assert.equal(await app('/redis/get?k=greeting'), '"hello"');
  assert.equal(await app('/mysql/write?v=m1'), 'ok');
  assert.equal(await app('/mysql/read'), '["m1"]');
});

test('data survives an app redeploy (git push)', async () => {
  appendFileSync(join(repo, 'server.js'), '\n// redeploy\n');
  await commitAll(repo, 'redeploy');
  const push = await git(repo, ['push', pushUrl(APP), 'main']);
  assert.equal(push.code, 0, push.output);
  assert.equal(await app('/pg/read'), '["first","second"]');
  assert.equal(await app('/redis/get?k=greeting'), '"hello"');
  assert.equal(await app('/mysql/read'), '["m1"]');
});

test('data survives service restarts', async () => {
  await Promise.all([p.yb(['services:restart', 'pg-main']), p.yb(['services:restart', 'cache']), p.yb(['services:restart', 'my-db'])]);
  assert.equal(await app('/pg/read'), '["first","second"]');
  assert.equal(await app('/redis/get?k=greeting'), '"hello"');
  assert.equal(await app('/mysql/read'), '["m1"]');
});

test('services and their data survive a control-plane restart', async () => {
  p.child.kill('SIGTERM');
  await new Promise((r) => p.child.once('exit', r));
  await p.restart();
  const list = JSON.parse((await p.yb(['services', '--json'])).stdout) as Service[];
  assert.deepEqual(
    list.map((s) => s.state),
    ['running', 'running', 'running'],
  );
  assert.equal(await app('/pg/read'), '["first","second"]');
});

test('backup and restore round trips: postgres (pg_dump), mysql (mysqldump), redis (RDB)', async () => {
  const backup = async (name: string) => JSON.parse((await p.yb(['services:backup', name, '--json'])).stdout) as { id: string; bytes: number };
  const [pgB, myB, rdB] = await Promise.all([backup('pg-main'), backup('my-db'), backup('cache')]);
  assert.ok(pgB.bytes > 0 && myB.bytes > 0 && rdB.bytes > 0);
  await app('/pg/write?v=after-backup');
  await app('/mysql/write?v=m2');
  await app('/redis/set?k=greeting&v=changed');
  assert.equal(await app('/pg/read'), '["first","second","after-backup"]');

  await p.yb(['services:restore', 'pg-main', pgB.id, '--confirm', 'pg-main']);
  await p.yb(['services:restore', 'my-db', myB.id, '--confirm', 'my-db']);
  await p.yb(['services:restore', 'cache', rdB.id, '--confirm', 'cache']);
  assert.equal(await app('/pg/read'), '["first","second"]');
  assert.equal(await app('/mysql/read'), '["m1"]');
  assert.equal(await app('/redis/get?k=greeting'), '"hello"');

  const listed = JSON.parse((await p.yb(['services:backups', 'pg-main', '--json'])).stdout) as Array<{ id: string }>;
  assert.deepEqual(
    listed.map((b) => b.id),
    [pgB.id],
  );
  const bad = await p.yb(['services:restore', 'pg-main', '20200101T000000Z-0000', '--confirm', 'pg-main'], { allowFail: true });
  assert.equal(bad.code, 4, bad.stderr);
});

test('backups beyond the retention count are deleted, oldest first', async () => {
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push((JSON.parse((await p.yb(['services:backup', 'cache', '--json'])).stdout) as { id: string }).id);
  const listed = JSON.parse((await p.yb(['services:backups', 'cache', '--json'])).stdout) as Array<{ id: string }>;
  assert.deepEqual(
    listed.map((b) => b.id),
    ids.slice(1),
    'YB_SERVICE_BACKUPS_KEPT=2 keeps the newest two',
  );
});

test('attach-url binds an external resource the same way, under an alias', async () => {
  const pg = await info('pg-main');
  // The "external" database is the one above, reached by its URL: what matters is that the URL binds as given.
  await p.yb(['services:attach-url', 'legacy-db', pg.connection.url!]);
  await p.yb(['services:link', 'legacy-db', '-a', APP, '--as', 'LEGACY']);
  const vars = await config();
  assert.equal(vars.LEGACY_URL, pg.connection.url);
  assert.equal(vars.LEGACY_HOST, 'pg-main');
  assert.equal(vars.LEGACY_NAME, 'pg_main');
  const again = await p.yb(['services:link', 'legacy-db', '-a', APP], { allowFail: true });
  assert.notEqual(again.code, 0, 'the default alias DATABASE is taken by pg-main');
  assert.match(again.stderr, /--as/);
  await p.yb(['services:unlink', 'legacy-db', '-a', APP]);
  await p.yb(['services:destroy', 'legacy-db', '--confirm', 'legacy-db']);
  assert.deepEqual(
    Object.keys(await config()).filter((k) => k.startsWith('LEGACY')),
    [],
  );
});

test('destroy is refused while linked; unlink leaves no variable behind; destroy removes container and volume', async () => {
  const refused = await p.yb(['services:destroy', 'pg-main', '--confirm', 'pg-main'], { allowFail: true });
  assert.equal(refused.code, 5, refused.stderr);
  assert.match(refused.stderr, /linked to shop/);

  const before = await config();
  await p.yb(['services:unlink', 'pg-main', '-a', APP]);
  const afterVars = await config();
  assert.deepEqual(
    Object.keys(afterVars).filter((k) => k.startsWith('DATABASE_')),
    [],
  );
  assert.deepEqual(
    Object.keys(before)
      .filter((k) => !k.startsWith('DATABASE_'))
      .sort(),
    Object.keys(afterVars).sort(),
    "only the link's vars went",
  );
  assert.deepEqual(
    (JSON.parse(await app('/env')) as string[]).filter((k) => k.startsWith('DATABASE_')),
    [],
    'the running process no longer sees them',
  );

  await p.yb(['services:destroy', 'pg-main', '--confirm', 'pg-main']);
  await p.yb(['services:destroy', 'cache', '--confirm', 'cache', '--force']);
  assert.deepEqual(
    Object.keys(await config()).filter((k) => k.startsWith('REDIS_')),
    [],
    '--force unlinks first',
  );
  assert.deepEqual(await p.probe.volumes(), [`${p.instance}-svc-my-db`]);
  assert.deepEqual(await p.probe.processes({ service: 'pg-main' }), []);
});
