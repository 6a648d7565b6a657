// Issue #14 item 2: the runtime layer image (yunbang-runtime:<fingerprint>) is shared by every team, so its
// fingerprint must follow the runtime's bytes. A real attack: team A pushes a Node.js app whose postinstall swaps
// .heroku/node/bin/node for a trojan of the same size, mode and mtime (test/fixtures/apps/node-poison); then
// team B pushes a plain Node.js app of the same Node.js version, which must run the genuine node.
// Issue #21 item 4: a warm build may skip the content hash when its runtime tree lists the same (names, sizes,
// mtimes) as the last build of the same app incarnation; a name reused by another team after a destroy starts over.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { startPlatform, fixtureRepo, git, type Platform } from '../../helpers/platform.js';
import { ybAs, usersWithTeams } from '../auth/as-user.js';

const run = promisify(execFile);
let p: Platform;
let stack: string | undefined;

/** `docker build` of a Dockerfile given on stdin. */
function dockerBuild(tag: string, dockerfile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn('docker', ['build', '-q', '-t', tag, '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.on('error', reject);
    c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`docker build ${tag}: ${err}`))));
    c.stdin.end(dockerfile);
  });
}

before(async () => {
  // A stack image of this run's own (the same files, its own id): the fingerprint includes the stack, so the
  // runtime images made here are never shared with the other platforms on this Docker engine, nor poison theirs
  // when this test is run against code without the fix.
  stack = `yunbang-test-stack:rt${Math.random().toString(36).slice(2, 9)}`;
  await dockerBuild(stack, `FROM yunbang/stack:latest\nLABEL yunbang.test-stack="${stack}"\n`);
  p = await startPlatform({ YB_STACK_IMAGE: stack });
});

after(async () => {
  await p?.stop(); // removes the app images, which carry the platform's label
  // Runtime images are shared by every platform on the engine, so no platform's clean-up removes them; the ones
  // built here sit on this test's own stack image and go with it.
  if (p) {
    const { stdout } = await run('docker', ['images', '-q', '--filter', `label=yunbang.built-by=${p.instance}`, '--filter', 'reference=yunbang-runtime']);
    const ids = [...new Set(stdout.trim().split('\n').filter(Boolean))];
    if (ids.length) await run('docker', ['rmi', '-f', ...ids]).catch(() => undefined);
  }
  if (stack) await run('docker', ['rmi', stack]).catch(() => undefined);
});

const tokens: Record<string, string> = {};
const url = (token: string, app: string) => `http://yb:${token}@${new URL(p.apiUrl).host}/git/${app}.git`;

async function ok(token: string, args: string[]): Promise<string> {
  const r = await ybAs(p, token, args);
  assert.equal(r.code, 0, `yb ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

test("a runtime poisoned by team A's build (same size, mode and mtime) is not the one team B's app runs on", async () => {
  Object.assign(tokens, await usersWithTeams(p, { alice: 'team-a', bob: 'team-b' }));
  await ok(tokens.alice!, ['apps:create', 'poison', '--team', 'team-a', '--no-remote']);
  await ok(tokens.bob!, ['apps:create', 'victim', '--team', 'team-b', '--no-remote']);

  const a = await git(await fixtureRepo('node-poison', p.dataDir), ['push', url(tokens.alice!, 'poison'), 'main']);
  assert.match(a.output, /poison\.sh: replaced \.heroku\/node\/bin\/node \(\d+ bytes, mtime kept\)/, a.output);
  assert.match(a.output, /Creating the run image/, 'the poisoned runtime image was made');
  assert.notEqual(a.code, 0, "team A's own app runs the trojan and fails its health check");
  assert.match(a.output, /poisoned runtime/);
  const runtimes = async () =>
    (await run('docker', ['images', '-q', '--filter', `label=yunbang.built-by=${p.instance}`, '--filter', 'reference=yunbang-runtime'])).stdout
      .trim()
      .split('\n')
      .filter(Boolean);
  const afterA = new Set(await runtimes());
  assert.equal(afterA.size, 1);

  const b = await git(await fixtureRepo('node-zero', p.dataDir), ['push', url(tokens.bob!, 'victim'), 'main']);
  assert.equal(b.code, 0, `team B's push must deploy on the genuine node:\n${b.output}`);
  assert.equal((await p.fetchApp('victim.localhost')).body, 'ok v1');
  const mine = (await runtimes()).filter((id) => !afterA.has(id));
  assert.equal(mine.length, 1, "team B's runtime is an image of its own, not team A's");
});

test("an app name team A poisoned and destroyed, re-created by team B: B's push runs the genuine node, not A's remembered runtime", async () => {
  // The poisoned tree lists exactly as the genuine one (same names, sizes, modes, mtimes): only the incarnation in the
  // memo's scope keeps B's build from taking the image A's build of this name left behind.
  await ok(tokens.alice!, ['apps:create', 'reused', '--team', 'team-a', '--no-remote']);
  const a = await git(await fixtureRepo('node-poison', p.dataDir), ['push', url(tokens.alice!, 'reused'), 'main']);
  assert.match(a.output, /poisoned runtime/, a.output);
  await ok(tokens.alice!, ['apps:destroy', '-a', 'reused', '--confirm', 'reused']);
  await ok(tokens.bob!, ['apps:create', 'reused', '--team', 'team-b', '--no-remote']);
  const b = await git(await fixtureRepo('node-zero', p.dataDir), ['push', url(tokens.bob!, 'reused'), 'main']);
  assert.equal(b.code, 0, `team B's push must deploy on the genuine node:\n${b.output}`);
  assert.equal((await p.fetchApp('reused.localhost')).body, 'ok v1');
});
