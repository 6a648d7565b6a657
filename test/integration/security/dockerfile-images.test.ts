// Issue #14 items 3 and 7, Dockerfile part: a Dockerfile reads only the platform's public base images, its team's own
// images and its own stages. Team A's release image holds a secret file; team B's Dockerfile names that image by tag,
// short id, full id, through a global ARG, in COPY --from and in RUN --mount from=: each push is refused with the line
// and no image of B's app exists. B builds on yunbang/stack and then on its own image. Images B imports with ONBUILD
// triggers that fetch a URL (a loopback server counts connections) or copy from A's image are refused as bases. And a
// BuildKit cache mount of a destroyed app is not inherited by the next app of its name (another team's). Real
// platform, real Docker engine, real git push as each user.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { countingServer, type CountingServer } from '../../helpers/counting-server.js';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startPlatform, fixtureRepo, git, commitAll, type Platform } from '../../helpers/platform.js';
import { httpUrl, type Run, usersWithTeams, ybOk } from '../auth/as-user.js';

const run = promisify(execFile);
const nonce = randomBytes(6).toString('hex');
const SECRET = `team-a-secret-${nonce}`;
const REFUSED = (line: number) => new RegExp(`is not on this machine, or not one your team imported or built \\(Dockerfile line ${line}\\)`);

let p: Platform;
const tok: Record<string, string> = {};
let counter: CountingServer;
/** Team A's release image, which holds /secret. */
const imageA = { tag: '', id: '' };

const ok = (user: string, args: string[]): Promise<Run> => ybOk(p, tok[user]!, user, args);

/** A copy of the dockerfile-hello fixture with its Dockerfile changed by `edit` (its FROM is line 4), pushed to `app` as `user`. */
async function push(user: string, app: string, edit: (dockerfile: string) => string): Promise<{ code: number; output: string }> {
  const repo = await fixtureRepo('dockerfile-hello', p.dataDir);
  const df = join(repo, 'Dockerfile');
  writeFileSync(df, edit(readFileSync(df, 'utf8')));
  await commitAll(repo, 'Dockerfile changed');
  return git(repo, ['push', '--force', httpUrl(p, tok[user]!, app), 'main']);
}

const fromLine = (text: string) => (df: string) => df.replace(/^FROM .*$/m, text);
const afterFrom = (text: string) => (df: string) => df.replace(/^(FROM .*)$/m, `$1\n${text}`);

async function imagesOf(app: string): Promise<string[]> {
  const { stdout } = await run('docker', ['images', '-q', `yunbang-app/${app}`]);
  return stdout.split('\n').filter(Boolean);
}

/** Builds an image on the host with `lines` after its FROM, saves it, removes it and imports it for team B under `tag`. */
async function importForB(tag: string, lines: string): Promise<void> {
  const ctx = join(p.dataDir, `ctx-${randomBytes(4).toString('hex')}`);
  mkdirSync(ctx);
  writeFileSync(join(ctx, 'Dockerfile'), `FROM yunbang/stack:latest\n${lines}\n`);
  // The instance label only lets the platform's test clean-up find the image; the platform does not trust it.
  await run('docker', ['build', '-q', '--label', `yunbang.instance=${p.instance}`, '-t', tag, ctx]);
  const file = join(ctx, 'image.tar');
  await run('docker', ['save', '-o', file, tag]);
  await run('docker', ['rmi', tag]);
  await ok('bob', ['images:import', file, '--team', 'team-b']);
}

before(async () => {
  counter = await countingServer('host-secret\n');
  p = await startPlatform();
  Object.assign(tok, await usersWithTeams(p, { alice: 'team-a', bob: 'team-b' }));
  await ok('alice', ['apps:create', 'a-secret', '--team', 'team-a', '--no-remote']);
  const a = await push('alice', 'a-secret', afterFrom(`RUN echo ${SECRET} > /secret`));
  assert.equal(a.code, 0, a.output);
  const [v1] = JSON.parse((await ok('alice', ['releases', '--json', '-a', 'a-secret'])).stdout) as Array<{ image: string; imageId: string }>;
  Object.assign(imageA, { tag: v1!.image, id: v1!.imageId });
  assert.match(imageA.id, /^sha256:[0-9a-f]{64}$/);
  await ok('bob', ['apps:create', 'b-app', '--team', 'team-b', '--no-remote']);
});

after(async () => {
  counter?.close();
  await p?.stop();
});

test("team B's Dockerfile cannot build on or copy from team A's image, however it is named", { timeout: 600_000 }, async () => {
  const short = imageA.id.slice('sha256:'.length, 'sha256:'.length + 12);
  const cases: [string, (df: string) => string, number][] = [
    ['FROM <tag>', fromLine(`FROM ${imageA.tag}`), 4],
    ['FROM <12-character id>', fromLine(`FROM ${short}`), 4],
    ['FROM <full id>', fromLine(`FROM ${imageA.id}`), 4],
    ['FROM $ARG', fromLine(`ARG IMG=${imageA.tag}\nFROM $IMG`), 5],
    ['COPY --from=<tag>', afterFrom(`COPY --from=${imageA.tag} /secret /secret`), 5],
    ['RUN --mount from=<id>', afterFrom(`RUN --mount=type=bind,from=${short},target=/a cp /a/secret /secret`), 5],
  ];
  for (const [what, edit, line] of cases) {
    const r = await push('bob', 'b-app', edit);
    assert.notEqual(r.code, 0, `${what}: ${r.output}`);
    assert.equal(r.output.split('\n').filter((l) => /^remote:\s+!/.test(l) && REFUSED(line).test(l)).length, 1, `${what}: one line saying why:\n${r.output}`);
    assert.doesNotMatch(r.output, new RegExp(SECRET));
    assert.deepEqual(await imagesOf('b-app'), [], `${what}: no image was built for team B's app`);
  }
  assert.deepEqual(JSON.parse((await ok('bob', ['releases', '--json', '-a', 'b-app'])).stdout), [], 'nothing was released');
});

test('team B builds on yunbang/stack, then on its own image; neither holds anything of team A', { timeout: 600_000 }, async () => {
  const first = await push('bob', 'b-app', (df) => df);
  assert.equal(first.code, 0, first.output);
  const [v1] = JSON.parse((await ok('bob', ['releases', '--json', '-a', 'b-app'])).stdout) as Array<{ image: string }>;
  const second = await push('bob', 'b-app', fromLine(`FROM ${v1!.image}`));
  assert.equal(second.code, 0, second.output);
  const images = await imagesOf('b-app');
  assert.equal(images.length, 2);
  for (const id of images) {
    const r = await run('docker', ['run', '--rm', '--entrypoint', 'sh', id, '-c', 'test ! -e /secret && echo clean']);
    assert.equal(r.stdout.trim(), 'clean', `image ${id} of team B has no /secret`);
  }
});

test("an imported base image whose ONBUILD fetches a URL or copies from team A's image is refused", { timeout: 600_000 }, async () => {
  const cases: [string, RegExp][] = [
    [`ONBUILD ADD http://127.0.0.1:${counter.port}/secret /host-secret`, /has the ONBUILD instruction "ADD http:.*": ADD from a URL is not allowed/],
    [
      `ONBUILD COPY --from=${imageA.tag} /secret /secret`,
      /has the ONBUILD instruction "COPY --from=.*": an ONBUILD instruction that copies from another image or stage is not allowed/,
    ],
  ];
  await ok('bob', ['apps:create', 'b-onbuild', '--team', 'team-b', '--no-remote']);
  for (const [i, [trigger, reason]] of cases.entries()) {
    const tag = `${p.instance}-b/onbuild:${i}`;
    await importForB(tag, trigger);
    const before = counter.connections();
    const r = await push('bob', 'b-onbuild', fromLine(`FROM ${tag}`));
    assert.notEqual(r.code, 0, `${trigger}: ${r.output}`);
    assert.equal(
      r.output.split('\n').filter((l) => /^remote:\s+!/.test(l) && /Dockerfile line 4: the image/.test(l) && reason.test(l)).length,
      1,
      `${trigger}: one line saying why:\n${r.output}`,
    );
    assert.equal(counter.connections() - before, 0, `${trigger}: nothing reached the loopback server`);
    assert.deepEqual(await imagesOf('b-onbuild'), [], `${trigger}: no image was built`);
  }
});

test("a destroyed app's BuildKit cache mount is not the next owner's of its name", { timeout: 600_000 }, async () => {
  // The nonce keeps BuildKit from answering either RUN from its layer cache, so both really run.
  const listing = (output: string, who: string) => output.split('\n').find((l) => l.includes(`listing-${who}-${nonce}: `));
  await ok('alice', ['apps:create', 'reborn', '--team', 'team-a', '--no-remote']);
  const a = await push(
    'alice',
    'reborn',
    afterFrom(`RUN --mount=type=cache,target=/cache sh -c 'echo planted > /cache/marker-${nonce}; echo "listing-a-${nonce}:" $(ls /cache)'`),
  );
  assert.equal(a.code, 0, a.output);
  assert.match(listing(a.output, 'a') ?? '', new RegExp(`marker-${nonce}`), `team A's build wrote its marker:\n${a.output}`);
  await ok('alice', ['apps:destroy', '-a', 'reborn', '--confirm', 'reborn']);

  await ok('bob', ['apps:create', 'reborn', '--team', 'team-b', '--no-remote']);
  const b = await push('bob', 'reborn', afterFrom(`RUN --mount=type=cache,target=/cache sh -c 'echo "listing-b-${nonce}:" $(ls /cache)'`));
  assert.equal(b.code, 0, b.output);
  const seen = listing(b.output, 'b');
  assert.ok(seen, `team B's build printed its listing:\n${b.output}`);
  assert.doesNotMatch(seen, new RegExp(`marker-${nonce}`), "team B's build does not see the destroyed app's cache");
});
