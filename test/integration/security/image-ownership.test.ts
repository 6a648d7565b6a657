// Issue #14 item 3: a team deploys only images it imported or built. Team B tries team A's release image by name,
// full id and short id prefix, and the platform's own images; imports its own image and deploys that; an import
// may not move team A's tag or claim a platform name; destroying an app never removes an image it did not build;
// pruning (YB_RELEASE_RETENTION=1) never removes an image another app's kept release uses. Real platform, real
// Docker engine, the real CLI as each user.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startPlatform, ROOT, type Platform } from '../../helpers/platform.js';
import { ybAs, type Run, usersWithTeams } from '../auth/as-user.js';

const run = promisify(execFile);
const HELLO = join(ROOT, 'test/fixtures/apps/dockerfile-hello');
const EXPECTED = readFileSync(join(HELLO, 'EXPECTED'), 'utf8').trim();
const REFUSED = /is not one your team imported or built; import it with yb images:import FILE/;

let p: Platform;
const tok: Record<string, string> = {};
/** Team A's first release image (built by the platform for a-web). */
let builtA = { id: '', tag: '' };

async function as(user: string, args: string[]): Promise<Run> {
  return ybAs(p, tok[user]!, args);
}

async function ok(user: string, args: string[]): Promise<Run> {
  const r = await as(user, args);
  assert.equal(r.code, 0, `yb ${args.join(' ')} as ${user}: ${r.stdout}${r.stderr}`);
  return r;
}

async function imageIdOf(ref: string): Promise<string | null> {
  return run('docker', ['image', 'inspect', '-f', '{{.Id}}', ref]).then(
    (r) => r.stdout.trim(),
    () => null,
  );
}

/**
 * An image archive (docker save) of a small web image answering `greeting`, tagged `tag`, made under a tag of
 * its own (and then renamed inside the archive), so a tag already on the engine is not moved by making it.
 */
async function archive(tag: string, greeting: string): Promise<string> {
  const own = `${p.instance}-making/${greeting}:1`;
  const file = await archiveAs(own, greeting);
  const dir = join(p.dataDir, `unpacked-${greeting}`);
  mkdirSync(dir, { recursive: true });
  await run('tar', ['-C', dir, '-xf', file]);
  for (const name of ['manifest.json', 'repositories']) {
    const f = join(dir, name);
    const [repo, version] = [own.slice(0, own.lastIndexOf(':')), own.slice(own.lastIndexOf(':') + 1)];
    const [toRepo, toVersion] = [tag.slice(0, tag.lastIndexOf(':')), tag.slice(tag.lastIndexOf(':') + 1)];
    const text = readFileSync(f, 'utf8');
    writeFileSync(
      f,
      name === 'manifest.json'
        ? text.replaceAll(own, tag)
        : JSON.stringify({ [toRepo]: { [toVersion]: (JSON.parse(text) as Record<string, Record<string, string>>)[repo]![version] } }),
    );
  }
  await run('tar', ['-C', dir, '-cf', file, ...readdirSync(dir)]); // names as docker save writes them (no "./")
  return file;
}

async function archiveAs(tag: string, greeting: string): Promise<string> {
  const ctx = join(p.dataDir, `img-${greeting}`);
  mkdirSync(ctx, { recursive: true });
  writeFileSync(
    join(ctx, 'Dockerfile'),
    `FROM yunbang/stack:latest\nRUN echo ${greeting} > /app/greeting\nCOPY server.pl /app/server.pl\nEXPOSE 8000\nCMD ["perl", "/app/server.pl"]\n`,
  );
  writeFileSync(join(ctx, 'server.pl'), readFileSync(join(ROOT, 'test/fixtures/apps/dockerfile-args/server.pl')));
  // The instance label only lets the test's clean-up find the image; the platform does not trust it.
  await run('docker', ['build', '-q', '--label', `yunbang.instance=${p.instance}`, '-t', tag, ctx]);
  const file = join(p.dataDir, `${greeting}.tar`);
  await run('docker', ['save', '-o', file, tag]);
  await run('docker', ['rmi', tag]);
  return file;
}

async function serves(app: string, body: string | RegExp): Promise<void> {
  const res = await p.fetchApp(`${app}.localhost`);
  assert.equal(res.status, 200, `${app}: ${res.body}`);
  if (typeof body === 'string') assert.equal(res.body, body);
  else assert.match(res.body, body);
}

before(async () => {
  p = await startPlatform({ YB_RELEASE_RETENTION: '1' });
  tok.admin = p.token;
  Object.assign(tok, await usersWithTeams(p, { alice: 'team-a', bob: 'team-b' }));
  await ok('alice', ['apps:create', 'a-web', '--team', 'team-a', '--no-remote']);
  await ok('alice', ['builds:create', '-a', 'a-web', '--source', HELLO]);
  const [v1] = JSON.parse((await ok('alice', ['releases', '--json', '-a', 'a-web'])).stdout) as Array<{ image: string; imageId: string }>;
  builtA = { id: v1!.imageId, tag: v1!.image };
  assert.match(builtA.id, /^sha256:[0-9a-f]{64}$/);
  await ok('bob', ['apps:create', 'b-web', '--team', 'team-b', '--no-remote']);
});

after(async () => {
  await p?.stop();
});

test("team B cannot deploy team A's release image by name, full id or short id, nor the platform's images", async () => {
  const refs = [
    builtA.tag,
    builtA.id,
    builtA.id.slice('sha256:'.length, 'sha256:'.length + 12),
    'yunbang/builder:latest',
    'yunbang/stack:latest',
    'no-such/image:1',
  ];
  for (const ref of refs) {
    const r = await as('bob', ['deploy:image', ref, '-a', 'b-web']);
    assert.equal(r.code, 3, `deploy:image ${ref}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, REFUSED, ref);
    assert.ok(r.stderr.includes(`image ${ref} is not one`), 'the error names the image as given');
  }
  assert.deepEqual(JSON.parse((await ok('bob', ['releases', '--json', '-a', 'b-web'])).stdout), [], 'nothing was released');
  await serves('a-web', EXPECTED);
  // A platform admin may still deploy any image on the engine.
  await ok('admin', ['apps:create', 'ops-app', '--no-remote']);
  await ok('admin', ['deploy:image', builtA.id.slice(7, 19), '-a', 'ops-app']);
  await serves('ops-app', EXPECTED);
  // Destroying that app leaves the image, which it did not build, to a-web.
  await ok('admin', ['apps:destroy', '-a', 'ops-app', '--confirm', 'ops-app']);
  assert.equal(await imageIdOf(builtA.id), builtA.id);
  await serves('a-web', EXPECTED);
});

test("team B imports its own image and deploys it; its import may not move team A's tag or claim a platform name", async () => {
  const tagB = `${p.instance}-b/api:1`;
  const r = await ok('bob', ['images:import', await archive(tagB, 'from-team-b'), '--team', 'team-b']);
  assert.match(r.stdout, /for team team-b/);
  await ok('bob', ['deploy:image', tagB, '-a', 'b-web']);
  await serves('b-web', /from-team-b/);

  // Team A imports its own image under its own tag; team B's archive with that tag would move it to B's image.
  const tagA = `${p.instance}-a/api:1`;
  await ok('alice', ['images:import', await archive(tagA, 'from-team-a'), '--team', 'team-a']);
  const idA = await imageIdOf(tagA);
  const steal = await as('bob', ['images:import', await archive(tagA, 'stolen-by-b'), '--team', 'team-b']);
  assert.equal(steal.code, 3, steal.stdout + steal.stderr);
  assert.match(steal.stderr, /already belongs to an image your team did not import/);
  assert.equal(await imageIdOf(tagA), idA, "team A's tag still names team A's image");

  const reserved = `yunbang/not-real-${p.instance}:1`;
  const claim = await as('bob', ['images:import', await archive(reserved, 'claims-platform'), '--team', 'team-b']);
  assert.equal(claim.code, 3, claim.stdout + claim.stderr);
  assert.match(claim.stderr, /reserved for the platform's own images/);
  assert.equal(await imageIdOf(reserved), null, 'nothing was loaded');

  // Importing for a team one is not in is refused.
  const other = await as('bob', ['images:import', await archive(`${p.instance}-b/api:2`, 'for-team-a'), '--team', 'team-a']);
  assert.equal(other.code, 3);
  assert.match(other.stderr, /you cannot import images for team "team-a"/);
  // Team A deploys its own import.
  await ok('alice', ['apps:create', 'a-imported', '--team', 'team-a', '--no-remote']);
  await ok('alice', ['deploy:image', tagA, '-a', 'a-imported']);
});

test("destroying an app never removes an imported image: team B's other app starts from it again", async () => {
  const tagB = `${p.instance}-b/api:1`;
  const idB = await imageIdOf(tagB);
  assert.ok(idB);
  await ok('bob', ['apps:create', 'b-two', '--team', 'team-b', '--no-remote']);
  await ok('bob', ['deploy:image', tagB, '-a', 'b-two']);
  await ok('bob', ['ps:stop', '-a', 'b-two']);
  await ok('bob', ['apps:destroy', '-a', 'b-web', '--confirm', 'b-web']);
  assert.equal(await imageIdOf(tagB), idB, 'the imported image is still on the engine');
  await ok('bob', ['ps:start', '-a', 'b-two']);
  await serves('b-two', /from-team-b/);
});

test("pruning (retention 1) never removes an image another app's kept release uses", async () => {
  // a-web's v1 image, built for it, is deployed by id to a-two (team A owns it), which is then stopped.
  await ok('alice', ['apps:create', 'a-two', '--team', 'team-a', '--no-remote']);
  await ok('alice', ['deploy:image', builtA.id, '-a', 'a-two']);
  await ok('alice', ['ps:stop', '-a', 'a-two']);
  // a-web moves on to v2: v1 falls out of its retention of 1.
  await ok('alice', ['deploy:image', `${p.instance}-a/api:1`, '-a', 'a-web']);
  assert.equal(await imageIdOf(builtA.id), builtA.id, "a-two's release still has its image");
  await ok('alice', ['ps:start', '-a', 'a-two']);
  await serves('a-two', EXPECTED);
  // Rolling a-web back to v1 works too: the image is there.
  await ok('alice', ['rollback', 'v1', '-a', 'a-web']);
  await serves('a-web', EXPECTED);
});
