// Issue #18 item 1: persistent storage for apps (Dokku's storage:*). A team's volume mounted into an app's processes
// and one-offs: a file a one-off writes is served by every web process (shared on one host), and stays across config
// releases, restarts, scaling and rollbacks; another team's app cannot mount it; it is destroyed only explicitly and
// never while mounted; bad names and paths are refused in one sentence and change nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startPlatform, deployFixture, type Platform } from '../../helpers/platform.js';
import { until } from '../../helpers/until.js';

const run = promisify(execFile);
const APP = 'keeper';
const HOST = `${APP}.localhost`;
let p: Platform;

before(async () => {
  p = await startPlatform();
  await deployFixture(p, APP, 'dockerfile-hello');
});

after(async () => {
  await p?.stop();
  await run('docker', ['volume', 'rm', '-f', `${p.instance}-vol-uploads`]).catch(() => undefined);
});

const served = async (path: string) => (await p.fetchApp(HOST, path)).body;

test('a mounted volume is shared by one-offs and web processes and outlives releases, restarts, scaling and rollbacks', async () => {
  assert.match((await p.yb(['storage:create', 'uploads'])).stdout, /Created volume uploads of team main/);
  const mount = await p.yb(['storage:mount', 'uploads', '/app/public/files', '-a', APP]);
  assert.match(mount.stdout, /Mounted uploads at \/app\/public\/files/);
  // A one-off writes; the web process (a different container) serves it.
  await p.yb(['run', '-a', APP, '--', 'echo kept-note > /app/public/files/note.txt']);
  assert.equal((await served('/files/note.txt')).trim(), 'kept-note');

  await p.yb(['config:set', 'AFTER=mount', '-a', APP]);
  assert.equal((await served('/files/note.txt')).trim(), 'kept-note', 'after a config release');
  await p.yb(['ps:restart', '-a', APP]);
  assert.equal((await served('/files/note.txt')).trim(), 'kept-note', 'after a restart');
  await p.yb(['ps:scale', 'web=2', '-a', APP]);
  for (let i = 0; i < 6; i++) assert.equal((await served('/files/note.txt')).trim(), 'kept-note', 'every web process sees it');
  await p.yb(['rollback', '-a', APP]);
  assert.equal((await served('/files/note.txt')).trim(), 'kept-note', 'after a rollback');

  const list = JSON.parse((await p.yb(['storage', '--json'])).stdout) as Array<{
    name: string;
    bytes: number | null;
    mounts: Array<{ app: string; path: string }>;
  }>;
  const uploads = list.find((v) => v.name === 'uploads')!;
  assert.deepEqual(
    uploads.mounts.map((m) => `${m.app}:${m.path}`),
    [`${APP}:/app/public/files`],
  );
  assert.ok(uploads.bytes !== null && uploads.bytes > 0, `its size is reported: ${uploads.bytes}`);
  assert.match((await p.yb(['storage', '-a', APP])).stdout, /uploads\s+\/app\/public\/files\s+all/);
});

test("another team's app cannot mount the volume, and bad names and paths are refused without a change", async () => {
  await p.yb(['teams:create', 'rivals']);
  await p.yb(['apps:create', 'rival-app', '--team', 'rivals', '--no-remote']);
  const steal = await p.yb(['storage:mount', 'uploads', '/data', '-a', 'rival-app'], { allowFail: true });
  assert.equal(steal.code, 4);
  assert.match(steal.stderr, /no volume named "uploads" in team rivals/);

  for (const [args, why] of [
    [['storage:create', 'Bad_Name'], /a volume name is 2-32 lowercase letters/],
    [['storage:create', 'uploads'], /already exists/],
    [['storage:mount', 'uploads', 'relative', '-a', APP], /absolute path/],
    [['storage:mount', 'uploads', '/proc/self', '-a', APP], /system directory/],
    [['storage:mount', 'uploads', '/data/../etc', '-a', APP], /"\." or "\.\." parts/],
    [['storage:mount', 'uploads', '/data:rw', '-a', APP], /absolute path/],
    [['storage:mount', 'nope', '/data', '-a', APP], /no volume named "nope"/],
    [['storage:destroy', 'uploads', '--confirm', 'uploads'], /mounted by keeper; unmount it first/],
    [['storage:destroy', 'uploads'], /--confirm uploads/],
  ] as Array<[string[], RegExp]>) {
    const r = await p.yb(args, { allowFail: true });
    assert.notEqual(r.code, 0, args.join(' '));
    assert.match(r.stderr, why, args.join(' '));
  }
  assert.match((await p.yb(['storage', '-a', APP])).stdout, /uploads\s+\/app\/public\/files/, 'the mount is unchanged');
  assert.equal((await served('/files/note.txt')).trim(), 'kept-note');
});

test("a new volume mounted where the image has no directory belongs to the buildpack apps' user, who can write to it", async () => {
  await p.yb(['storage:create', 'scratch']);
  await p.yb(['storage:mount', 'scratch', '/data', '-a', APP]);
  // The fixture runs as root; setpriv drops to the run image's user (1000), as a buildpack app runs.
  const out = await p.yb([
    'run',
    '-a',
    APP,
    '--',
    'stat -c %u:%g /data && setpriv --reuid=1000 --regid=1000 --clear-groups sh -c "echo mine > /data/w && cat /data/w"',
  ]);
  assert.match(out.stdout, /^1000:1000\s+mine\s*$/, out.stdout);
  await p.yb(['storage:unmount', 'scratch', '-a', APP]);
  await p.yb(['storage:destroy', 'scratch', '--confirm', 'scratch']);
});

test('unmount keeps the data for a later mount; destroy removes the volume and its data', async () => {
  assert.match((await p.yb(['storage:unmount', 'uploads', '-a', APP])).stdout, /its data stays/);
  assert.equal((await p.fetchApp(HOST, '/files/note.txt')).status, 404, 'no longer mounted');
  await p.yb(['storage:mount', 'uploads', '/app/public/files', '--process', 'web', '-a', APP]);
  assert.equal((await served('/files/note.txt')).trim(), 'kept-note', 'the data was kept');
  await p.yb(['storage:unmount', 'uploads', '-a', APP]);
  await p.yb(['storage:destroy', 'uploads', '--confirm', 'uploads']);
  await assert.rejects(run('docker', ['volume', 'inspect', `${p.instance}-vol-uploads`]), 'the engine volume is gone');
  assert.equal(JSON.parse((await p.yb(['storage', '--json'])).stdout).length, 0);
  await until('served without the volume', async () => (await p.fetchApp(HOST, '/files/note.txt')).status === 404);
});
