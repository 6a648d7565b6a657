// Issue #6 (bad input): oversized pushes and uploads are refused with the limit in the message, and nothing is
// released; a build past YB_BUILD_TIMEOUT is stopped. Real platform with a 1 MiB limit and a 4 s build timeout, real git.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPlatform, fixtureRepo, git, commitAll, type Platform } from '../../helpers/platform.js';

let p: Platform;

before(async () => {
  p = await startPlatform({ YB_MAX_PUSH_MB: '1', YB_BUILD_TIMEOUT: '4' });
  await p.yb(['apps:create', 'big']);
});

after(async () => {
  await p?.stop();
});

test('a git push over the size limit is refused with the limit in the message', async () => {
  const repo = await fixtureRepo('node-zero', p.dataDir);
  writeFileSync(join(repo, 'blob.bin'), randomBytes(3 * 1024 * 1024));
  await commitAll(repo, 'big file');
  const push = await git(repo, ['push', `http://yb:${p.token}@${new URL(p.apiUrl).host}/git/big.git`, 'main']);
  assert.notEqual(push.code, 0);
  assert.match(push.output, /larger than the 1 MiB limit/);
  const rel = JSON.parse((await p.yb(['releases', '-a', 'big', '--json'])).stdout) as unknown[];
  assert.equal(rel.length, 0);
});

test('a source upload over the size limit is refused with the limit in the message', async () => {
  const repo = await fixtureRepo('node-zero', p.dataDir);
  writeFileSync(join(repo, 'blob.bin'), randomBytes(3 * 1024 * 1024));
  const r = await p.yb(['builds:create', '-a', 'big', '--source', repo], { allowFail: true });
  assert.notEqual(r.code, 0);
  assert.match(r.stdout + r.stderr, /larger than 1 MiB/, r.stdout + r.stderr);
  assert.equal(p.child.exitCode, null, 'the control plane is still running');
  assert.match((await p.yb(['apps'])).stdout, /big/);
});

test('a Dockerfile build past YB_BUILD_TIMEOUT is stopped and rejects the push; nothing is released', async () => {
  await p.yb(['apps:create', 'slow']);
  const repo = await fixtureRepo('dockerfile-hello', p.dataDir);
  const df = join(repo, 'Dockerfile');
  writeFileSync(df, readFileSync(df, 'utf8').replace('COPY server.pl', 'RUN sleep 60\nCOPY server.pl'));
  await commitAll(repo, 'slow build');
  const t0 = Date.now();
  const push = await git(repo, ['push', `http://yb:${p.token}@${new URL(p.apiUrl).host}/git/slow.git`, 'main']);
  assert.notEqual(push.code, 0, push.output);
  assert.match(push.output, /remote: !\s+docker build failed: the build took longer than 4 s and was stopped/);
  assert.ok(Date.now() - t0 < 30_000, `the push ended ${Date.now() - t0} ms after it started`);
  const rel = JSON.parse((await p.yb(['releases', '-a', 'slow', '--json'])).stdout) as unknown[];
  assert.equal(rel.length, 0);
  const builds = JSON.parse((await p.yb(['builds', '-a', 'slow', '--json'])).stdout) as Array<{ status: string }>;
  assert.equal(builds[0]!.status, 'failed');
});
