// Build slots on the real platform (YB_BUILD_CONCURRENCY=1): a push that has to wait is told its place as it
// changes and then succeeds; its record shows the place (counts only: another team's app names never show); a
// push whose client goes away while queued leaves the queue. Team A's build holds the one slot while the test
// holds back the rest of its upload, so nothing here depends on how long a build takes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { request } from 'node:http';
import { promisify } from 'node:util';
import { startPlatform, fixtureRepo, git, commitAll, expectedBody, type Platform } from '../../helpers/platform.js';
import { httpUrl, makeKey, sshEnv, sshUrl, type Run, usersWithTeams, ybOk } from '../auth/as-user.js';
import { until } from '../../helpers/until.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const run = promisify(execFile);
const SECRET = 'alpha-secret';
let p: Platform;
const tok: Record<string, string> = {};

const ok = (user: string, args: string[]): Promise<Run> => ybOk(p, tok[user]!, user, args);

interface Build {
  id: string;
  status: string;
  error?: string;
  queue?: { position: number; ahead: number; slots: number };
}

async function builds(user: string, app: string): Promise<Build[]> {
  const res = await fetch(`${p.apiUrl}/apps/${app}/builds`, { headers: { authorization: `Bearer ${tok[user]}` } });
  assert.equal(res.status, 200);
  const text = await res.text();
  if (user !== 'alice') assert.ok(!text.includes(SECRET), `another team's app name in ${app}'s builds: ${text}`);
  return JSON.parse(text) as Build[];
}

/** A git push as a child process in its own process group (as a shell runs it), its output collected as it comes. */
function startPush(repo: string, url: string, env: NodeJS.ProcessEnv = process.env) {
  const child = spawn('git', ['push', url, 'main'], {
    cwd: repo,
    env: { ...env, GIT_TERMINAL_PROMPT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const done = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  return { child, done, output: () => output };
}

/**
 * A source upload to `app` whose body is held back after its first block, so its build holds a slot until
 * `finish()` (resolves to the deploy's output) or `drop()`; dropped after the test whatever happens.
 */
async function holdSlot(t: { after: (fn: () => void) => void }, user: string, app: string) {
  const repo = await fixtureRepo('dockerfile-hello', p.dataDir);
  const { stdout: tar } = await run('tar', ['-C', repo, '--exclude=.git', '-cf', '-', '.'], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
  let output = '';
  const upload = request(`${p.apiUrl}/apps/${app}/builds`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tok[user]}`, 'content-type': 'application/x-tar' },
  });
  const done = new Promise<string>((resolve, reject) => {
    upload.on('response', (res) => {
      res.setEncoding('utf8');
      res.on('data', (d: string) => (output += d));
      res.on('end', () => resolve(output));
    });
    upload.on('error', reject);
  });
  done.catch(() => undefined); // a dropped upload's end is not awaited
  t.after(() => upload.destroy());
  upload.write(tar.subarray(0, 512));
  await until(`${app}'s build to hold the slot`, async () => (await builds(user, app)).some((b) => b.status === 'building'));
  return {
    finish: () => {
      upload.end(tar.subarray(512));
      return done;
    },
    drop: () => upload.destroy(),
  };
}

before(async () => {
  p = await startPlatform({ YB_BUILD_CONCURRENCY: '1' });
  Object.assign(tok, await usersWithTeams(p, { alice: 'team-a', bob: 'team-b' }));
});

after(async () => {
  await p?.stop();
});

test('with one build slot, a second push waits with its place shown, a push abandoned while queued leaves, both others succeed', {
  timeout: 900_000,
}, async (t) => {
  await ok('alice', ['apps:create', SECRET, '--team', 'team-a', '--no-remote']);
  await ok('bob', ['apps:create', 'bee', '--team', 'team-b', '--no-remote']);
  await ok('bob', ['apps:create', 'gone', '--team', 'team-b', '--no-remote']);

  // Team A's build holds the one slot while the test holds back the rest of its upload.
  const alpha = await holdSlot(t, 'alice', SECRET);

  // Team B: a git push that has to wait behind it.
  const beeRepo = await fixtureRepo('dockerfile-hello', p.dataDir);
  await writeFile(join(beeRepo, 'public', 'index.html'), 'bee was here');
  await commitAll(beeRepo, 'bee');
  const bee = startPush(beeRepo, httpUrl(p, tok.bob!, 'bee'));
  const queued = await until('bee to be queued', async () => (await builds('bob', 'bee')).find((b) => b.status === 'queued' && b.queue));
  assert.deepEqual(queued.queue, { position: 1, ahead: 1, slots: 1 });
  await until('bee to be told its place', () => /remote: -----> Queued behind 1 build \(1 build slot, YB_BUILD_CONCURRENCY\)/.test(bee.output()));
  const listed = await ok('bob', ['builds', '-a', 'bee']);
  assert.match(listed.stdout, /queued \(place 1, 1 build ahead, 1 slot\)/);

  // A third push queues behind both; its client goes away: it leaves the queue and its record says why.
  const goneRepo = await fixtureRepo('dockerfile-hello', p.dataDir);
  const gone = startPush(goneRepo, httpUrl(p, tok.bob!, 'gone'));
  await until('the third push to be queued second', async () => (await builds('bob', 'gone')).find((b) => b.queue?.position === 2));
  await until('the third push to be told its place', () => /Queued behind 2 builds/.test(gone.output()));
  // Ctrl-C: SIGINT to the push's process group (git push and its git-remote-http, which holds the connection).
  process.kill(-gone.child.pid!, 'SIGINT');
  const abandoned = await until('the abandoned push to leave the queue', async () => (await builds('bob', 'gone')).find((b) => b.status === 'failed'));
  assert.match(abandoned.error ?? '', /abandoned while it waited for a build slot/);
  assert.equal((await builds('bob', 'bee')).find((b) => b.id === queued.id)?.queue?.position, 1, 'bee is still first in line');
  // Team A's upload completes: its build ends, bee gets the slot, both serve.
  assert.match(await alpha.finish(), /is live at/);
  assert.equal(await bee.done, 0, bee.output());
  assert.match(bee.output(), /remote: -----> Build slot free after [\d.]+ s in the queue/);
  assert.ok(!bee.output().includes(SECRET), "team A's app name reached team B's push output");
  assert.equal((await p.fetchApp('bee.localhost')).body, 'bee was here');
  assert.equal((await p.fetchApp(`${SECRET}.localhost`)).body, expectedBody('dockerfile-hello'));
  const done = (await builds('bob', 'bee')).find((b) => b.id === queued.id)!;
  assert.equal(done.status, 'succeeded');
  assert.equal(done.queue, undefined);

  // The next push of the abandoned app still works: nothing of it stayed in the queue or in git.
  const again = await git(goneRepo, ['push', httpUrl(p, tok.bob!, 'gone'), 'main']);
  assert.equal(again.code, 0, again.output);
  assert.doesNotMatch(again.output, /Queued behind/);
});

test('a ybd that stops with a build running and one queued: both pushes fail, their records read failed, pushing again works', {
  timeout: 900_000,
}, async (t) => {
  await ok('alice', ['apps:create', 'held', '--team', 'team-a', '--no-remote']);
  await ok('bob', ['apps:create', 'waits', '--team', 'team-b', '--no-remote']);
  await holdSlot(t, 'alice', 'held');
  const waitsRepo = await fixtureRepo('dockerfile-hello', p.dataDir);
  const waits = startPush(waitsRepo, httpUrl(p, tok.bob!, 'waits'));
  await until('the second push to be queued', async () => (await builds('bob', 'waits')).some((b) => b.status === 'queued'));

  p.kill9(); // its embedded etcd stays up; the next start adopts it
  await until('ybd gone', () => p.child.exitCode !== null || p.child.signalCode !== null);
  assert.notEqual(await waits.done, 0, "the queued push failed on the pusher's side");
  await p.restart();

  const [queuedThen] = await builds('bob', 'waits');
  assert.equal(queuedThen?.status, 'failed');
  assert.match(queuedThen?.error ?? '', /ybd stopped while this build was queued; push again/);
  const [runningThen] = await builds('alice', 'held');
  assert.equal(runningThen?.status, 'failed');
  assert.match(runningThen?.error ?? '', /ybd stopped while this build was building/);

  const again = await git(waitsRepo, ['push', httpUrl(p, tok.bob!, 'waits'), 'main']);
  assert.equal(again.code, 0, again.output);
  assert.equal((await p.fetchApp('waits.localhost')).body, expectedBody('dockerfile-hello'));
});

test('over SSH too, a push whose client goes away while queued leaves the queue', { timeout: 900_000 }, async (t) => {
  const key = makeKey(p.dataDir, 'bob-key');
  await ok('bob', ['keys:add', `${key}.pub`]);
  await ok('alice', ['apps:create', 'hold-ssh', '--team', 'team-a', '--no-remote']);
  await ok('bob', ['apps:create', 'gone-ssh', '--team', 'team-b', '--no-remote']);
  const held = await holdSlot(t, 'alice', 'hold-ssh');
  const repo = await fixtureRepo('dockerfile-hello', p.dataDir);
  const gone = startPush(repo, sshUrl(p, 'gone-ssh'), sshEnv(key));
  await until('the SSH push to be told its place', () => /Queued behind 1 build/.test(gone.output()));
  process.kill(-gone.child.pid!, 'SIGINT');
  const abandoned = await until('the abandoned SSH push to leave the queue', async () => (await builds('bob', 'gone-ssh')).find((b) => b.status === 'failed'));
  assert.match(abandoned.error ?? '', /abandoned while it waited for a build slot/);
  // The holder goes away mid-upload: its build ends and frees the slot (else the next push would wait for ever).
  held.drop();
  const [dropped] = await until('the dropped upload to end its build', async () => {
    const list = await builds('alice', 'hold-ssh');
    return list[0]?.status === 'failed' && list;
  });
  assert.match(dropped?.error ?? '', /the pusher went away before its source was received/);
  const again = await git(repo, ['push', sshUrl(p, 'gone-ssh'), 'main'], sshEnv(key));
  assert.equal(again.code, 0, again.output);
});
