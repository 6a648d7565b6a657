// Issue #14 (Dockerfile part) against the real platform and Docker engine: the engine fetches `ADD <url>` itself, from
// the host's network, outside the outbound guard; such a Dockerfile is refused before the engine sees it, naming the
// line, and a local server that counts connections sees none. And each app's BuildKit cache mounts are its own: a
// marker one team's build writes into `--mount=type=cache,target=/cache` is not in another team's mount of that target.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { countingServer, type CountingServer } from '../../helpers/counting-server.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPlatform, fixtureRepo, git, commitAll, type Platform } from '../../helpers/platform.js';

let p: Platform;
let counter: CountingServer;
const pushUrl = (app: string) => `http://yb:${p.token}@${new URL(p.apiUrl).host}/git/${app}.git`;

before(async () => {
  counter = await countingServer();
  p = await startPlatform();
  await p.yb(['teams:create', 'sec-team-a']);
  await p.yb(['teams:create', 'sec-team-b']);
});

after(async () => {
  counter?.close();
  await p?.stop();
});

/** A copy of the dockerfile-hello fixture whose Dockerfile has `lines` added after FROM, committed. */
async function appRepo(lines: string): Promise<string> {
  const repo = await fixtureRepo('dockerfile-hello', p.dataDir);
  const df = join(repo, 'Dockerfile');
  writeFileSync(df, readFileSync(df, 'utf8').replace(/^(FROM .*)$/m, `$1\n${lines}`));
  await commitAll(repo, 'Dockerfile changed');
  return repo;
}

test('a Dockerfile that ADDs from a URL is refused with its line; the engine never connects', { timeout: 300_000 }, async () => {
  const cases: [string, RegExp][] = [
    [
      `ADD http://127.0.0.1:${counter.port}/secret /secret`,
      /Dockerfile line 5: ADD from a URL is not allowed; download it in a RUN step or COPY it from the source/,
    ],
    [`add --chown=0:0 \\\n    http://127.0.0.1:${counter.port}/secret /secret`, /Dockerfile line 5: ADD from a URL is not allowed/],
    [`ADD ["http://[::ffff:7f00:1]:${counter.port}/secret", "/secret"]`, /Dockerfile line 5: ADD from a URL is not allowed/],
    [
      `ARG SRC=http://127.0.0.1:${counter.port}/secret\nADD $SRC /secret`,
      /Dockerfile line 6: ADD with a variable in its source is not allowed \(it could name a URL\)/,
    ],
    [`ONBUILD ADD http://127.0.0.1:${counter.port}/secret /secret`, /Dockerfile line 5: ADD from a URL is not allowed/],
  ];
  await p.yb(['apps:create', 'sec-add-url', '--team', 'sec-team-a', '--no-remote']);
  for (const [lines, reason] of cases) {
    const repo = await appRepo(lines);
    const before = counter.connections();
    const push = await git(repo, ['push', pushUrl('sec-add-url'), 'main']);
    assert.equal(counter.connections() - before, 0, `${lines}: nothing reached the server`);
    assert.notEqual(push.code, 0, push.output);
    assert.equal(push.output.split('\n').filter((l) => /^remote:\s+!/.test(l) && reason.test(l)).length, 1, `one line saying why:\n${push.output}`);
  }
  const releases = JSON.parse((await p.yb(['releases', '--json', '-a', 'sec-add-url'])).stdout) as unknown[];
  assert.equal(releases.length, 0);
});

test("a cache mount is per app: another team's build with the same target does not see what the first wrote", { timeout: 300_000 }, async () => {
  const nonce = randomBytes(6).toString('hex');
  // The nonce keeps BuildKit from answering either RUN from its layer cache, so both really run.
  // Each build prints `listing-<who>-<nonce>: <files>`; the step's header line shows the command (a quote after the colon).
  const writer = await appRepo(
    `RUN --mount=type=cache,target=/cache sh -c 'echo from-team-a > /cache/marker-${nonce}; echo "listing-a-${nonce}:" $(ls /cache)'`,
  );
  const reader = await appRepo(`RUN --mount=type=cache,target=/cache sh -c 'echo "listing-b-${nonce}:" $(ls /cache)'`);
  const listing = (output: string, who: string) => output.split('\n').find((l) => l.includes(`listing-${who}-${nonce}: `));
  await p.yb(['apps:create', 'sec-cache-a', '--team', 'sec-team-a', '--no-remote']);
  await p.yb(['apps:create', 'sec-cache-b', '--team', 'sec-team-b', '--no-remote']);
  const a = await git(writer, ['push', pushUrl('sec-cache-a'), 'main']);
  assert.equal(a.code, 0, a.output);
  assert.match(listing(a.output, 'a') ?? '', new RegExp(`marker-${nonce}`), `team A sees its own marker:\n${a.output}`);
  const b = await git(reader, ['push', pushUrl('sec-cache-b'), 'main']);
  assert.equal(b.code, 0, b.output);
  const seenByB = listing(b.output, 'b');
  assert.ok(seenByB, `team B's build printed its listing:\n${b.output}`);
  assert.doesNotMatch(seenByB, new RegExp(`marker-${nonce}`), "team B does not see team A's cache");
  // Team A's next build finds its own cache again (the id is stable per app).
  const again = await appRepo(`RUN --mount=type=cache,target=/cache sh -c 'echo "listing-a2-${nonce}:" $(ls /cache)'`);
  const a2 = await git(again, ['push', '--force', pushUrl('sec-cache-a'), 'main']);
  assert.equal(a2.code, 0, a2.output);
  assert.match(listing(a2.output, 'a2') ?? '', new RegExp(`marker-${nonce}`), `team A keeps its cache across builds:\n${a2.output}`);
});
