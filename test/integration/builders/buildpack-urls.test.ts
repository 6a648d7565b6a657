// Issue #3 (buildpack overrides): BUILDPACK_URL, `.buildpacks` and `yb buildpacks:set` may name a tarball URL or a
// git URL (#ref), as on Heroku. The control plane fetches them (here from an HTTP server this test starts on
// 127.0.0.1: a tarball, and a git repository through the real `git http-backend`), caches them per URL and
// builds with them; a bad URL, a 404, a tarball that is not a buildpack or an unknown git ref rejects the push
// with one clear line and releases nothing; so does one over the size or time limit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startPlatform, fixtureRepo, git, commitAll, ROOT, type Platform } from '../../helpers/platform.js';
import { freePorts } from '../../helpers/ports.js';
import { startBuildpackServer, type BuildpackServer } from './buildpack-server.js';
import { BuildpackFetcher } from '../../../src/build/buildpack-fetch.js';

const run = promisify(execFile);
const BUILDPACK = join(ROOT, 'test/fixtures/buildpacks/hello');

let p: Platform;
let server: BuildpackServer;
let work: string;
const pushUrl = (app: string) => `http://yb:${p.token}@${new URL(p.apiUrl).host}/git/${app}.git`;

/** A copy of the test buildpack whose VERSION file says `version`. */
async function buildpackCopy(dir: string, version: string): Promise<string> {
  await cp(BUILDPACK, dir, { recursive: true });
  await writeFile(join(dir, 'VERSION'), `${version}\n`);
  return dir;
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'yb-bpurl-'));
  const files = join(work, 'files');
  const gitRoot = join(work, 'git');
  await mkdir(files);
  await mkdir(gitRoot);
  // hello.tgz: the buildpack inside one top folder, as GitHub archive tarballs are; not-a-buildpack.tgz: no bin/.
  await buildpackCopy(join(work, 'hello-1.0'), 'tar');
  await run('tar', ['-C', work, '-czf', join(files, 'hello.tgz'), 'hello-1.0']);
  await mkdir(join(work, 'docs'));
  writeFileSync(join(work, 'docs', 'README'), 'just a readme\n');
  await run('tar', ['-C', join(work, 'docs'), '-czf', join(files, 'not-a-buildpack.tgz'), 'README']);
  writeFileSync(join(files, 'garbage.tar.gz'), 'this is not gzip at all');
  // big.tgz: 2 MiB that do not compress, over the 1 MiB limit this platform is started with.
  writeFileSync(join(work, 'noise'), randomBytes(2 * 1024 * 1024));
  await run('tar', ['-C', work, '-czf', join(files, 'big.tgz'), 'noise']);
  // hello.git: tag v1 says "v1", the default branch moves on to "v2".
  const src = await buildpackCopy(join(work, 'bp-src'), 'v1');
  await git(src, ['init', '-q', '-b', 'main']);
  await commitAll(src, 'v1');
  await git(src, ['tag', 'v1']);
  await writeFile(join(src, 'VERSION'), 'v2\n');
  await commitAll(src, 'v2');
  await git(src, ['clone', '-q', '--bare', src, join(gitRoot, 'hello.git')]);
  server = await startBuildpackServer(files, gitRoot);
  // The test's buildpack server is on 127.0.0.1: a loopback host, which the platform refuses by default.
  // Builds run under YB_BUILD_CPUS and YB_BUILD_MEMORY; the test buildpack prints the limits it sees.
  p = await startPlatform({
    YB_BUILDPACK_FETCH_MB: '1',
    YB_BUILDPACK_FETCH_TIMEOUT: '5',
    YB_OUTBOUND_PRIVATE: 'true',
    YB_BUILD_CPUS: '1.5',
    YB_BUILD_MEMORY: '768',
  });
});

after(async () => {
  await p?.stop();
  await server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Creates `app` and pushes the custom-buildpack fixture with `files` added; the push result and the repository. */
async function pushApp(app: string, files: Record<string, string>): Promise<{ code: number; output: string; repo: string }> {
  await p.yb(['apps:create', app]);
  const repo = await fixtureRepo('custom-buildpack', p.dataDir);
  for (const [name, text] of Object.entries(files)) await writeFile(join(repo, name), text);
  await commitAll(repo, 'app files');
  return { ...(await git(repo, ['push', pushUrl(app), 'main'])), repo };
}

async function builtWith(app: string): Promise<string[]> {
  const builds = JSON.parse((await p.yb(['builds', '--json', '-a', app])).stdout) as { buildpacks: string[] }[];
  return builds[0]!.buildpacks;
}

test('BUILDPACK_URL naming a tarball: fetched once, cached for the next app, built and served', { timeout: 300_000 }, async () => {
  const url = `${server.url}/hello.tgz`;
  await p.yb(['apps:create', 'bp-tar']);
  await p.yb(['config:set', `BUILDPACK_URL=${url}`, '-a', 'bp-tar']);
  const repo = await fixtureRepo('custom-buildpack', p.dataDir);
  const push = await git(repo, ['push', pushUrl('bp-tar'), 'main']);
  assert.equal(push.code, 0, push.output);
  assert.match(push.output, new RegExp(`remote: -----> Fetching buildpack ${url.replace(/\./g, '\\.')}`));
  assert.match(push.output, /remote: -----> Hello \(tar\) app detected/);
  assert.match(push.output, new RegExp(`remote: +build limits: cpu quota 150000, memory ${768 * 1024 * 1024}`), 'YB_BUILD_CPUS and YB_BUILD_MEMORY apply');
  const res = await p.fetchApp('bp-tar.localhost');
  assert.equal(res.status, 200, res.body);
  assert.equal(res.body, 'hello from the fetched buildpack tar: custom');
  assert.deepEqual(await builtWith('bp-tar'), [url]);

  // Another app with the same URL uses the cached copy: the server sees no second download.
  await p.yb(['apps:create', 'bp-tar-two']);
  await p.yb(['config:set', `BUILDPACK_URL=${url}`, '-a', 'bp-tar-two']);
  const again = await git(repo, ['push', pushUrl('bp-tar-two'), 'main']);
  assert.equal(again.code, 0, again.output);
  assert.match(again.output, /using the cached copy of/);
  assert.equal(server.hits.get('/hello.tgz'), 1);
  assert.equal((await p.fetchApp('bp-tar-two.localhost')).body, 'hello from the fetched buildpack tar: custom');
});

test('.buildpacks naming a git URL with #ref, then yb buildpacks:set with the default branch', { timeout: 300_000 }, async () => {
  const gitUrl = `${server.url}/git/hello.git`;
  const push = await pushApp('bp-git', { '.buildpacks': `# the test buildpack at tag v1\n${gitUrl}#v1\n` });
  assert.equal(push.code, 0, push.output);
  assert.equal((await p.fetchApp('bp-git.localhost')).body, 'hello from the fetched buildpack v1: custom');
  assert.deepEqual(await builtWith('bp-git'), [`${gitUrl}#v1`]);
  assert.ok((server.hits.get('/git/hello.git/info/refs') ?? 0) >= 1, 'cloned through git http-backend');

  await p.yb(['buildpacks:set', gitUrl, '-a', 'bp-git']);
  await git(push.repo, ['-c', 'user.email=t@example.com', '-c', 'user.name=test', 'commit', '-q', '--allow-empty', '-m', 'redeploy']);
  const second = await git(push.repo, ['push', pushUrl('bp-git'), 'main']);
  assert.equal(second.code, 0, second.output);
  assert.equal((await p.fetchApp('bp-git.localhost')).body, 'hello from the fetched buildpack v2: custom');
  assert.deepEqual(await builtWith('bp-git'), [gitUrl]);
});

test('bad buildpack URLs reject the push with one clear line and release nothing', { timeout: 300_000 }, async () => {
  const [closed] = await freePorts(1); // nothing listens there
  const cases: [string, RegExp][] = [
    [`${server.url}/missing.tgz`, /buildpack http:\/\/127\.0\.0\.1:\d+\/missing\.tgz could not be used: the server answered HTTP 404/],
    [`${server.url}/not-a-buildpack.tgz`, /could not be used: it is not a buildpack: it has no bin\/compile/],
    [`${server.url}/garbage.tar.gz`, /could not be used: it is not a gzip-compressed tarball/],
    [`${server.url}/git/hello.git#no-such-tag`, /could not be used: the repository has no branch, tag or commit "no-such-tag"/],
    [`${server.url}/git/absent.git`, /buildpack http:\/\/127\.0\.0\.1:\d+\/git\/absent\.git could not be used: git clone failed/],
    [`http://127.0.0.1:${closed}/closed-port.tgz`, /could not be used: the download failed \(ECONNREFUSED\)/],
    [`${server.url}/big.tgz`, /could not be used: it is larger than the 1 MiB allowed \(YB_BUILDPACK_FETCH_MB\)/],
    [`${server.url}/big.tgz?chunked=1`, /could not be used: it is larger than the 1 MiB allowed/],
    [`${server.url}/slow/never.tgz`, /could not be used: fetching it took longer than 5 s \(YB_BUILDPACK_FETCH_TIMEOUT\)/],
    [`${server.url}/buildpack.zip`, /a buildpack URL must name a tarball \(\.tgz or \.tar\.gz\) or a git repository/],
    [
      `${server.url}/redirect/hello.tgz?to=http://169.254.169.254/latest/hello.tgz`,
      /could not be used: 169\.254\.169\.254 is a link-local address, which the platform does not connect to/,
    ],
  ];
  await p.yb(['apps:create', 'bp-bad']);
  const repo = await fixtureRepo('custom-buildpack', p.dataDir);
  for (const [url, message] of cases) {
    await p.yb(['config:set', `BUILDPACK_URL=${url}`, '-a', 'bp-bad']);
    const push = await git(repo, ['push', pushUrl('bp-bad'), 'main']);
    assert.notEqual(push.code, 0, push.output);
    const errors = push.output.split('\n').filter((l) => /^remote:\s+!/.test(l) && message.test(l));
    assert.equal(errors.length, 1, `one line matching ${message} in:\n${push.output}`);
  }
  const releases = JSON.parse((await p.yb(['releases', '--json', '-a', 'bp-bad'])).stdout) as unknown[];
  assert.equal(releases.length, 0, JSON.stringify(releases));
});

test('by default the platform refuses buildpack URLs on loopback or private hosts, redirects included', async () => {
  const cache = mkdtempSync(join(tmpdir(), 'yb-bpguard-'));
  try {
    const fetcher = new BuildpackFetcher(cache, { maxBytes: 1024 * 1024, timeoutMs: 5000, allowPrivate: false });
    const refused = async (ref: Parameters<BuildpackFetcher['fetch']>[0], message: RegExp) => {
      await assert.rejects(
        fetcher.fetch(ref, ref.url, () => undefined),
        (err: Error) => (assert.match(err.message, message), true),
      );
    };
    const hint = /127\.0\.0\.1 is a loopback address, which the platform does not connect to for users; set YB_OUTBOUND_PRIVATE=true/;
    await refused({ kind: 'tarball', url: `${server.url}/hello.tgz` }, hint);
    await refused({ kind: 'git', url: `${server.url}/git/hello.git`, ref: '' }, hint);
    await refused({ kind: 'tarball', url: `http://localhost:${new URL(server.url).port}/hello.tgz` }, /localhost \((127\.0\.0\.1|::1)\) is a loopback address/);
    assert.deepEqual(readdirSync(cache), [], 'nothing was fetched');
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});
