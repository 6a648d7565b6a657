// Issue #14 item 7: destroying an app leaves nothing the next owner of its name inherits. Team A's build leaves a
// marker in the app's buildpack cache (a test buildpack, fetched as a tarball, reports what the cache holds);
// team A destroys the app; its cache, build logs, git repository, log file and records are gone at once; team B
// creates an app of the same name and its build finds no marker, and B sees none of A's builds, releases or logs.
// A destroy sent while a build of the app runs waits for that deploy and still leaves nothing. Real platform, real
// Docker engine, real git over HTTP, the real CLI as each user.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startPlatform, fixtureRepo, git, commitAll, ROOT, type Platform } from '../../helpers/platform.js';
import { startBuildpackServer, type BuildpackServer } from '../builders/buildpack-server.js';
import { httpUrl, rawEtcd, type Run, usersWithTeams, ybOk } from '../auth/as-user.js';

const run = promisify(execFile);
const APP = 'shared-name';

let p: Platform;
let server: BuildpackServer;
let work: string;
let buildpackUrl: string;
const tok: Record<string, string> = {};

const ok = (user: string, args: string[]): Promise<Run> => ybOk(p, tok[user]!, user, args);

const repos: Record<string, string> = {};

/** Pushes the custom-buildpack fixture (each user's own clone per app) with hello.txt saying `hello` (and `files`) to `app` as `user`; the push output. */
async function push(user: string, hello: string, files: Record<string, string> = {}, app = APP): Promise<string> {
  const repo = (repos[`${user}/${app}`] ??= await fixtureRepo('custom-buildpack', p.dataDir));
  await writeFile(join(repo, 'hello.txt'), hello);
  for (const [name, text] of Object.entries(files)) await writeFile(join(repo, name), text);
  await commitAll(repo, hello);
  const r = await git(repo, ['push', httpUrl(p, tok[user]!, app), 'main']);
  assert.equal(r.code, 0, r.output);
  return r.output;
}

const leftovers = (app: string) => [join('cache', app), join('builds', app), join('repos', `${app}.git`), join('logs', 'apps', `${app}.jsonl`)];

/** Nothing of `app` is left: files, records, endpoints, routes, containers. */
async function assertNothingLeft(app: string): Promise<void> {
  for (const f of leftovers(app)) assert.ok(!existsSync(join(p.dataDir, f)), `${f} is gone right after the destroy`);
  assert.deepEqual(await rawEtcd(p, `apps/${app}`), {}, 'no records under apps/<app>');
  assert.deepEqual(await rawEtcd(p, `builds/${app}/`), {}, 'no build records');
  assert.deepEqual(await rawEtcd(p, `endpoints/${app}/`), {}, 'no endpoints');
  assert.ok(!Object.values(await rawEtcd(p, 'routes/')).some((v) => v.includes(`"${app}"`)), 'no routes');
  const { stdout } = await run('docker', ['ps', '-aq', '--filter', `label=yunbang.instance=${p.instance}`, '--filter', `label=yunbang.app=${app}`]);
  assert.equal(stdout.trim(), '', 'no containers');
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'yb-leftovers-'));
  await mkdir(join(work, 'files'));
  await mkdir(join(work, 'git'));
  await cp(join(ROOT, 'test/fixtures/buildpacks/cache-marker'), join(work, 'cache-marker'), { recursive: true });
  await run('tar', ['-C', work, '-czf', join(work, 'files', 'cache-marker.tgz'), 'cache-marker']);
  server = await startBuildpackServer(join(work, 'files'), join(work, 'git'));
  buildpackUrl = `${server.url}/cache-marker.tgz`;
  // The buildpack server is on 127.0.0.1, which the platform refuses to fetch from unless told otherwise.
  p = await startPlatform({ YB_OUTBOUND_PRIVATE: 'true' });
  Object.assign(tok, await usersWithTeams(p, { alice: 'team-a', bob: 'team-b' }));
});

after(async () => {
  await p?.stop();
  await server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

test("a destroyed app's cache, build logs, repository, logs and records are gone; the next owner of the name starts clean", { timeout: 600_000 }, async () => {
  await ok('alice', ['apps:create', APP, '--team', 'team-a', '--no-remote']);
  await ok('alice', ['buildpacks:set', buildpackUrl, '-a', APP]);
  assert.match(await push('alice', 'planted-by-team-a'), /remote: -----> cache marker found: none/);
  // The cache works: the next build of the same app finds the marker (so the check below can see one).
  assert.match(await push('alice', 'planted-by-team-a-again'), /remote: -----> cache marker found: planted-by-team-a/);
  assert.equal((await p.fetchApp(`${APP}.localhost`)).body, 'cache marker found: planted-by-team-a');

  for (const f of leftovers(APP)) assert.ok(existsSync(join(p.dataDir, f)), `${f} exists while the app does`);
  await ok('alice', ['autoscale', 'web', '-a', APP, '--min', '2', '--max', '4', '--p95-ms', '300']);
  await ok('alice', ['apps:destroy', '-a', APP, '--confirm', APP]);
  await assertNothingLeft(APP);

  await ok('bob', ['apps:create', APP, '--team', 'team-b', '--no-remote']);
  await ok('bob', ['buildpacks:set', buildpackUrl, '-a', APP]);
  const out = await push('bob', 'team-b');
  assert.match(out, /remote: -----> cache marker found: none/, "team B's build finds nothing team A left");
  assert.doesNotMatch(out, /planted-by-team-a/);
  assert.equal((await p.fetchApp(`${APP}.localhost`)).body, 'cache marker found: none');

  const builds = JSON.parse((await ok('bob', ['builds', '--json', '-a', APP])).stdout) as Array<{ createdBy: string }>;
  assert.deepEqual(
    builds.map((b) => b.createdBy),
    ['bob'],
    "only team B's build is listed",
  );
  const releases = JSON.parse((await ok('bob', ['releases', '--json', '-a', APP])).stdout) as Array<{ version: number; createdBy: string }>;
  assert.deepEqual(
    releases.map((r) => [r.version, r.createdBy]),
    [[1, 'bob']],
    'numbering starts again at v1, with no release of team A',
  );
  assert.deepEqual(JSON.parse((await ok('bob', ['autoscale', '--json', '-a', APP])).stdout), [], "team A's autoscaling policy went with its app");
  const logs = (await ok('bob', ['logs', '-n', '1000', '-a', APP])).stdout;
  assert.match(logs, /created by bob/, "the log has team B's deploy");
  assert.doesNotMatch(logs, /alice|planted-by-team-a/, "no line of team A's app");
});

test('a destroy during a build waits for that deploy to finish, then leaves nothing behind', { timeout: 600_000 }, async () => {
  const app = 'busy-app';
  await ok('bob', ['apps:create', app, '--team', 'team-b', '--no-remote']);
  await ok('bob', ['buildpacks:set', buildpackUrl, '-a', app]);
  const pushing = push('bob', 'team-b-slow', { sleep: '4' }, app); // this build takes 4 s longer than usual
  const deadline = Date.now() + 120_000;
  while (!Object.values(await rawEtcd(p, `builds/${app}/`)).some((v) => v.includes('"building"'))) {
    assert.ok(Date.now() < deadline, 'the build did not start within 120 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  await ok('bob', ['apps:destroy', '-a', app, '--confirm', app]);
  assert.match(await pushing, /remote: -----> v1 is live/, 'the deploy in progress finished before the destroy ran');
  await assertNothingLeft(app);
});
