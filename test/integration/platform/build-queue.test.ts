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
import { ybAs, httpUrl, type Run } from '../auth/as-user.js';
import { until } from '../../helpers/until.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const run = promisify(execFile);
const SECRET = 'alpha-secret';
let p: Platform;
const tok: Record<string, string> = {};

async function ok(user: string, args: string[]): Promise<Run> {
  const r = await ybAs(p, tok[user]!, args);
  assert.equal(r.code, 0, `yb ${args.join(' ')} as ${user}: ${r.stdout}${r.stderr}`);
  return r;
}

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
function startPush(repo: string, url: string) {
  const child = spawn('git', ['push', url, 'main'], {
    cwd: repo,
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const done = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  return { child, done, output: () => output };
}

before(async () => {
  p = await startPlatform({ YB_BUILD_CONCURRENCY: '1' });
  for (const u of ['alice', 'bob']) tok[u] = (await ybAs(p, p.token, ['users:create', u])).stdout.trim();
  await ok('alice', ['teams:create', 'team-a']);
  await ok('bob', ['teams:create', 'team-b']);
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

  // Team A: a source upload whose body the test holds back after its first block, so its build holds the slot.
  const alphaRepo = await fixtureRepo('dockerfile-hello', p.dataDir);
  const { stdout: tar } = await run('tar', ['-C', alphaRepo, '--exclude=.git', '-cf', '-', '.'], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
  let alphaOutput = '';
  const upload = request(`${p.apiUrl}/apps/${SECRET}/builds`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tok.alice}`, 'content-type': 'application/x-tar' },
  });
  const alphaDone = new Promise<void>((resolve, reject) => {
    upload.on('response', (res) => {
      res.setEncoding('utf8');
      res.on('data', (d: string) => (alphaOutput += d));
      res.on('end', resolve);
    });
    upload.on('error', reject);
  });
  upload.write(tar.subarray(0, 512));
  // On a failure below, the held-back upload would hold the slot, and ybd's stop, until the build timeout.
  t.after(() => upload.destroy());
  await until("team A's build to hold the slot", async () => (await builds('alice', SECRET)).some((b) => b.status === 'building'));

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
  upload.end(tar.subarray(512));
  await alphaDone;
  assert.match(alphaOutput, /is live at/, alphaOutput);
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
