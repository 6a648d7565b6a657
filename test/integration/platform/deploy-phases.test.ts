// Issue #21 item 4: where a push's and a config change's time goes. A real push (git over HTTP, buildpack build,
// rollout behind the router) records every phase in its build record, shown by `yb builds:info` and its --json
// (the API's build schema); a config change records its rollout phases on the release (`yb releases:info`). Each
// phase is a whole number of milliseconds, none negative, and together they fit in the wall time the pusher saw.
// No timing thresholds: only that the record is complete and consistent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPlatform, fixtureRepo, git, commitAll, type Platform } from '../../helpers/platform.js';
import { until } from '../../helpers/until.js';

let p: Platform;
let repo: string;
let url: string;
const HOST = 'phases.localhost';

type Phases = Record<string, number>;

/** Asserts every listed phase is there, a whole non-negative number, nothing unknown is, and the sum fits in `wallMs`. */
function assertPhases(phases: Phases | undefined, expected: string[], wallMs: number, what: string): void {
  assert.ok(phases, `${what} has phases`);
  for (const name of expected) {
    const v = phases[name];
    assert.ok(Number.isInteger(v) && v! >= 0, `${what}: phase ${name} is a whole non-negative number of ms (got ${v})`);
  }
  const known = ['queue', 'receive', 'unpack', 'detect', 'install', 'image', 'push', 'release', 'start', 'health', 'switch', 'stop'];
  for (const name of Object.keys(phases)) assert.ok(known.includes(name), `${what}: unknown phase ${name}`);
  const sum = Object.values(phases).reduce((a, b) => a + b, 0);
  assert.ok(sum <= wallMs, `${what}: phases add up to ${sum} ms, more than the ${wallMs} ms it took`);
  assert.ok(sum > 0, `${what}: phases add up to more than nothing`);
}

before(async () => {
  p = await startPlatform({ YB_HEALTH_UPTIME: '1' });
  repo = await fixtureRepo('node-zero', p.dataDir);
  // A configured health check (docs/architecture.md §5): the rollout waits for it instead of the default uptime.
  writeFileSync(join(repo, 'app.json'), JSON.stringify({ healthchecks: { web: [{ type: 'startup', path: '/', content: 'ok' }] } }));
  await commitAll(repo, 'health check');
  url = `http://yb:${p.token}@${new URL(p.apiUrl).host}/git/phases.git`;
  await p.yb(['apps:create', 'phases']);
  const push = await git(repo, ['push', url, 'main']);
  assert.equal(push.code, 0, push.output);
});

after(async () => {
  await p?.stop();
});

test('a redeploy records every phase of its push in the build record, within the push wall time', async () => {
  appendFileSync(join(repo, 'server.js'), '\n// again\n');
  await commitAll(repo, 'again');
  const t = Date.now();
  const push = await git(repo, ['push', url, 'main']);
  const wall = Date.now() - t;
  assert.equal(push.code, 0, push.output);
  assert.match(push.output, /v2 is live/);
  await until('v2 serving', async () => (await p.fetchApp(HOST)).body.startsWith('ok v2'));

  const build = JSON.parse((await p.yb(['builds:info', '-a', 'phases', '--json'])).stdout) as { status: string; phases?: Phases };
  assert.equal(build.status, 'succeeded');
  // No registry here (no push phase); the old process is stopped (stop), so every other phase is there.
  const all = ['queue', 'receive', 'unpack', 'detect', 'install', 'image', 'release', 'start', 'health', 'switch', 'stop'];
  assertPhases(build.phases, all, wall, 'the build');
  assert.equal(build.phases?.push, undefined, 'no registry push was made');

  const text = (await p.yb(['builds:info', '-a', 'phases'])).stdout;
  for (const name of all) assert.match(text, new RegExp(`\\b${name} \\d+\\.\\d\\d s`), `builds:info shows ${name}`);
  assert.match(text, /\(sum \d+\.\d\d s\)/);
});

test('a config change records its rollout phases on the release, within the command wall time', async () => {
  const t = Date.now();
  await p.yb(['config:set', 'GREETING=hi', '-a', 'phases']);
  const wall = Date.now() - t;
  const release = JSON.parse((await p.yb(['releases:info', '-a', 'phases', '--json'])).stdout) as { description: string; phases?: Phases };
  assert.match(release.description, /GREETING/);
  assertPhases(release.phases, ['queue', 'release', 'start', 'health', 'switch', 'stop'], wall, 'the config release');
  for (const name of ['receive', 'unpack', 'detect', 'install', 'image']) assert.equal(release.phases?.[name], undefined, `no ${name} without a build`);
  assert.match((await p.yb(['releases:info', '-a', 'phases'])).stdout, /Phases\s.*health \d+\.\d\d s/);
});
