// Issue #18 item 6: `yb git:sync URL [REF]` fetches a branch, tag or commit of a remote repository (a real git
// http-backend on loopback, behind basic auth) and deploys it, the build streaming like a push; the app's repo then
// holds the commit. The credentials in the URL reach the server but are never logged or stored. Bad URLs and refs,
// link-local hosts, an oversized repository and a server that never answers are refused in one sentence, nothing deployed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commitAll, expectedBody, fixtureRepo, git, startPlatform, type Platform } from '../../helpers/platform.js';
import { rawEtcd } from '../auth/as-user.js';
import { until } from '../../helpers/until.js';
import { startGitRemote, type GitRemote } from './git-remote.js';
import { freePort } from '../../helpers/ports.js';

const APP = 'synced';
const HOST = `${APP}.localhost`;
const PASSWORD = 'tok-Zq81xVn3pSecret';
let p: Platform;
let remote: GitRemote;
let work: string;
let src: string;

before(async () => {
  // Loopback git server: YB_OUTBOUND_PRIVATE lets the platform reach it (link-local stays refused, tested below).
  p = await startPlatform({ YB_OUTBOUND_PRIVATE: 'true', YB_GIT_SYNC_MB: '3', YB_GIT_SYNC_TIMEOUT: '20' });
  work = mkdtempSync(join(tmpdir(), 'yb-git-sync-'));
  src = await fixtureRepo('dockerfile-hello', work);
  await git(src, ['tag', 'v1']);
  execFileSync('git', ['clone', '-q', '--bare', src, join(work, 'shop.git')]);
  remote = await startGitRemote(work, { user: 'bot', password: PASSWORD });
  await p.yb(['apps:create', APP]);
});

after(async () => {
  await remote?.close();
  await p?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const publicUrl = (name: string) => `${remote.url}/git/${name}.git`;
const repoUrl = (name = 'shop') => `${remote.url.replace('//', `//bot:${PASSWORD}@`)}/git/${name}.git`;
const releases = async () => JSON.parse((await p.yb(['releases', '-a', APP, '--json'])).stdout) as Array<{ version: number; description: string }>;
const pushMore = async (text: string) => {
  writeFileSync(join(src, 'public', 'index.html'), text);
  await commitAll(src, text);
  await git(src, ['push', '-q', join(work, 'shop.git'), 'main', '--tags']);
  return execFileSync('git', ['-C', src, 'rev-parse', 'HEAD']).toString().trim();
};

test('git:sync deploys the remote HEAD, a branch, a tag and a commit, streaming the build; the token is sent, never kept', async () => {
  const first = await p.yb(['git:sync', repoUrl(), '-a', APP]);
  assert.match(first.stdout, /-----> Fetching HEAD from http:\/\/127\.0\.0\.1:\d+\/git\/shop\.git\n/);
  assert.match(first.stdout, /is live at/);
  assert.equal((await p.fetchApp(HOST)).body.trim(), expectedBody('dockerfile-hello'));
  assert.ok(
    remote.requests.some((r) => r.authorized && r.path.endsWith('git-upload-pack')),
    'the credentials reached the server',
  );

  const second = await pushMore('second version\n');
  await p.yb(['git:sync', repoUrl(), 'main', '-a', APP]);
  await until('the second version served', async () => (await p.fetchApp(HOST)).body === 'second version\n');
  // The app's own repository now holds the deployed commit as main (as after a push).
  const appMain = execFileSync('git', ['-C', join(p.dataDir, 'repos', `${APP}.git`), 'rev-parse', 'refs/heads/main'])
    .toString()
    .trim();
  assert.equal(appMain, second);

  await p.yb(['git:sync', repoUrl(), 'v1', '-a', APP]);
  await until('the tag served', async () => (await p.fetchApp(HOST)).body.trim() === expectedBody('dockerfile-hello'));
  const out = await p.yb(['git:sync', repoUrl(), second, '-a', APP]);
  assert.match(out.stdout, new RegExp(`fetched ${second.slice(0, 7)}`));
  await until('the commit served', async () => (await p.fetchApp(HOST)).body === 'second version\n');
  assert.match((await releases())[0]!.description, new RegExp(`Deploy ${second.slice(0, 7)}`));

  // The token is in no log, no etcd value and no file of the platform.
  assert.ok(!p.output().includes(PASSWORD), 'not in the platform log');
  assert.ok(!JSON.stringify(await rawEtcd(p, '')).includes(PASSWORD), 'not in etcd');
  const grep = (() => {
    try {
      return execFileSync('grep', ['-rl', '--binary-files=text', PASSWORD, p.dataDir]).toString();
    } catch {
      return ''; // grep exits 1 when nothing matches
    }
  })();
  assert.equal(grep, '', 'not in any file under the data directory');
  const events = (await p.yb(['events', '-a', APP, '--json'])).stdout;
  assert.match(events, /git\.sync/);
  assert.ok(!events.includes(PASSWORD));
});

test('git:// through a real git daemon; a submodule in the repository is never fetched', async () => {
  // A submodule whose URL points at another repository on the same server: the deploy must not fetch it.
  const sub = await fixtureRepo('dockerfile-hello', work);
  execFileSync('git', ['clone', '-q', '--bare', sub, join(work, 'evil.git')]);
  await git(src, ['-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', sub, 'vendor/evil']);
  await git(src, ['config', '-f', '.gitmodules', 'submodule.vendor/evil.url', publicUrl('evil')]);
  await commitAll(src, 'with a submodule');
  await pushMore('served over git://\n');
  const port = await freePort();
  const daemon = spawn('git', ['daemon', '--reuseaddr', `--base-path=${work}`, '--export-all', '--listen=127.0.0.1', `--port=${port}`, work], {
    stdio: 'ignore',
  });
  try {
    await until(
      'git daemon listening',
      () =>
        new Promise<boolean>((resolve) => {
          const s = connect(port, '127.0.0.1', () => {
            s.end();
            resolve(true);
          });
          s.on('error', () => resolve(false));
        }),
    );
    const out = await p.yb(['git:sync', `git://127.0.0.1:${port}/shop.git`, 'main', '-a', APP]);
    assert.match(out.stdout, /is live at/);
    await until('the git:// commit served', async () => (await p.fetchApp(HOST)).body === 'served over git://\n');
  } finally {
    daemon.kill();
  }
  assert.ok(!remote.requests.some((r) => r.path.includes('evil')), 'the submodule was not fetched');
});

test('bad URLs and refs, wrong credentials, link-local hosts, oversized repositories and silent servers are refused; nothing deployed', async () => {
  const before = (await releases()).length;
  const refused: Array<[string[], RegExp]> = [
    [['file:///etc'], /uses file, which the platform does not fetch from/],
    [['/srv/repos/other.git'], /not a URL/],
    [[`${p.dataDir}/repos/${APP}.git`], /not a URL/],
    [['ext::sh -c id'], /spaces or control characters|transport helper/],
    [['ext::id'], /transport helper/],
    [['git@github.com:acme/shop.git'], /ssh remote/],
    [['ssh://git@127.0.0.1/shop.git'], /ssh remote/],
    [[repoUrl(), 'main:refs/heads/x'], /not a git branch, tag or commit/],
    [[repoUrl(), 'no-such-branch'], /couldn't find remote ref no-such-branch/],
    [[repoUrl().replace(PASSWORD, 'wrong')], /git fetch failed/],
    [['http://169.254.169.254/latest.git'], /169\.254\.169\.254 is a link-local address/],
    [['http://[::ffff:169.254.169.254]/x.git'], /link-local/],
    [[`${remote.url}/slow/x.git`], /took longer than 20 s \(YB_GIT_SYNC_TIMEOUT\)/],
  ];
  for (const [args, why] of refused) {
    const r = await p.yb(['git:sync', ...args, '-a', APP], { allowFail: true });
    assert.notEqual(r.code, 0, args.join(' '));
    assert.match(r.stdout + r.stderr, why, args.join(' '));
    assert.ok(!(r.stdout + r.stderr).includes(PASSWORD), `no token in the message for ${args[0]}`);
  }

  // A repository past YB_GIT_SYNC_MB (3 MiB here): incompressible data, stopped while it is fetched.
  const big = await fixtureRepo('dockerfile-hello', work);
  writeFileSync(join(big, 'blob.bin'), randomBytes(5 * 1024 * 1024));
  await commitAll(big, 'big');
  execFileSync('git', ['clone', '-q', '--bare', big, join(work, 'big.git')]);
  const r = await p.yb(['git:sync', repoUrl('big'), '-a', APP], { allowFail: true });
  assert.notEqual(r.code, 0);
  assert.match(r.stdout, /larger than the 3 MiB allowed \(YB_GIT_SYNC_MB\)/);

  assert.equal((await releases()).length, before, 'no release was made');
  assert.equal((await p.fetchApp(HOST)).body, 'served over git://\n', 'the app keeps serving');
  // A ref that git would read as an option, sent to the API directly (the CLI would take it for one of its own).
  const api = await fetch(`${p.apiUrl}/apps/${APP}/git-syncs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${p.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url: repoUrl(), ref: '--upload-pack=touch /tmp/yb-pwned' }),
  });
  assert.equal(api.status, 400);
  assert.match(((await api.json()) as { message: string }).message, /not a git branch, tag or commit/);
  assert.ok(!existsSync('/tmp/yb-pwned'));
  assert.equal(p.child.exitCode, null, 'ybd is still running');
});
