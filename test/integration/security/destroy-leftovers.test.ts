// Issue #14 item 7, follow-up: what destroying an app left running or remembered. A `yb run` session of team A's app
// keeps running with the app's code and config after the destroy; the metrics sampler keeps an hour of the app's
// points by name, which the next owner of the name (team B) reads with `yb metrics`; `yb apps:destroy` printed
// nothing of the parts that failed and exited 0; image archives spooled by an import that a crash cut short stay
// under $YB_DATA_DIR/imports. Real platform, real Docker engine, the real CLI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startPlatform, ROOT, type Platform } from '../../helpers/platform.js';
import { until } from '../../helpers/until.js';
import { ybAs, type Run, usersWithTeams, ybOk } from '../auth/as-user.js';

const run = promisify(execFile);
const HELLO = join(ROOT, 'test/fixtures/apps/dockerfile-hello');
const APP = 'reused-name';

let p: Platform;
const tok: Record<string, string> = {};

const ok = (user: string, args: string[]): Promise<Run> => ybOk(p, tok[user]!, user, args);

/** Polls `check` every 200 ms until it returns true; fails with `what` after `ms`. */

async function runContainers(app: string): Promise<string[]> {
  const { stdout } = await run('docker', [
    'ps',
    '-aq',
    '--filter',
    `label=yunbang.instance=${p.instance}`,
    '--filter',
    `label=yunbang.app=${app}`,
    '--filter',
    'label=yunbang.kind=run',
  ]);
  return stdout.split('\n').filter(Boolean);
}

before(async () => {
  p = await startPlatform({ YB_METRICS_INTERVAL: '1' });
  Object.assign(tok, await usersWithTeams(p, { alice: 'team-a', bob: 'team-b' }));
});

after(async () => {
  await p?.stop();
});

test('destroying an app stops its yb run sessions, and the next owner of the name sees none of its metrics', { timeout: 600_000 }, async () => {
  await ok('alice', ['apps:create', APP, '--team', 'team-a', '--no-remote']);
  await ok('alice', ['config:set', 'TEAM_A_SECRET=only-for-a', '-a', APP]);
  await ok('alice', ['builds:create', '-a', APP, '--source', HELLO]);
  assert.equal((await p.fetchApp(`${APP}.localhost`)).status, 200);
  // The sampler has kept points of team A's app (process usage comes only from kept points) before it is destroyed.
  await until("team A's app has metrics", async () => {
    const r = await ybAs(p, tok.alice!, ['metrics', '--json', '-a', APP]);
    return r.code === 0 && (JSON.parse(r.stdout) as { processTypes: Record<string, unknown> }).processTypes.web !== undefined;
  });

  const session = ybAs(p, tok.alice!, ['run', '-a', APP, '--', 'sleep 300']);
  await until('the yb run container started', async () => (await runContainers(APP)).length > 0);

  const destroyedAt = new Date().toISOString();
  const destroy = await ok('alice', ['apps:destroy', '-a', APP, '--confirm', APP]);
  assert.doesNotMatch(destroy.stderr, /warning|failed/i, 'every part of the destroy succeeded');
  assert.deepEqual(await runContainers(APP), [], 'the yb run container is gone when the destroy returns');
  const ended = await Promise.race([session, new Promise<null>((r) => setTimeout(() => r(null), 60_000).unref())]);
  assert.ok(ended, 'yb run ended within 60 s of the destroy');
  assert.notEqual(ended.code, 0, `yb run exits non-zero: ${ended.stdout}${ended.stderr}`);
  assert.ok(ended.stderr.trim().length > 0, `yb run says why it ended (exit code ${ended.code}): ${JSON.stringify(ended)}`);

  await ok('bob', ['apps:create', APP, '--team', 'team-b', '--no-remote']);
  const m = JSON.parse((await ok('bob', ['metrics', '--json', '-a', APP])).stdout) as { from: string; requests: number; processTypes: Record<string, unknown> };
  assert.deepEqual(m.processTypes, {}, `team B, which has no process, sees none of team A's: ${JSON.stringify(m)}`);
  // The router still counts requests by host name, so points may follow the destroy; none may come from before it.
  assert.ok(m.from >= destroyedAt, `team B sees no point of team A's app (window from ${m.from}, destroyed at ${destroyedAt})`);
  assert.equal(m.requests, 0, "none of team A's requests is counted for team B");
});

test('a part of the destroy that fails is reported by yb apps:destroy, which exits non-zero', { timeout: 300_000 }, async () => {
  const app = 'half-gone';
  await ok('alice', ['apps:create', app, '--team', 'team-a', '--no-remote']);
  // A mount point cannot be removed (EBUSY): the step removing the app's files fails, the others still run.
  const cache = join(p.dataDir, 'cache', app);
  mkdirSync(cache, { recursive: true });
  await run('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'yb-test', cache]);
  try {
    const r = await ybAs(p, tok.alice!, ['apps:destroy', '-a', app, '--confirm', app]);
    assert.equal(r.code, 1, `exit code 1: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /Destroyed half-gone/);
    assert.match(
      r.stderr,
      /half-gone was destroyed, but part of removing it failed: removing its git repository, build cache, build logs and log file failed: .*EBUSY/,
    );
    assert.equal((await ybAs(p, tok.alice!, ['apps:info', '-a', app])).code === 0, false, 'the app is gone');
  } finally {
    await run('umount', [cache]);
  }
});

test('image archives spooled by an import that a crash cut short are removed when ybd starts', { timeout: 300_000 }, async () => {
  const spool = join(p.dataDir, 'imports');
  mkdirSync(spool, { recursive: true });
  writeFileSync(join(spool, '0123456789abcdef.tar'), 'half an archive');
  p.kill9();
  await p.restart();
  assert.ok(!existsSync(join(spool, '0123456789abcdef.tar')), 'the spooled archive is gone after the restart');
});
