// YB_DOCKERFILE_BUILDER=classic: Dockerfile apps are built by the engine's classic builder, which gives each
// build's RUN steps their own YB_BUILD_MEMORY and YB_BUILD_CPUS (BuildKit's steps share them, see
// dockerfile-limits.test.ts); a bad value stops ybd before it starts anything.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startPlatform, fixtureRepo, git, commitAll, ROOT, type Platform } from '../../helpers/platform.js';

let p: Platform;

before(async () => {
  p = await startPlatform({ YB_DOCKERFILE_BUILDER: 'classic', YB_BUILD_MEMORY: '256', YB_BUILD_CPUS: '0.5' });
});

after(async () => {
  await p?.stop();
});

test('classic builds apply the memory and CPU limits to RUN steps, and the app serves', async () => {
  await p.yb(['apps:create', 'limited']);
  const repo = await fixtureRepo('dockerfile-hello', p.dataDir);
  const df = join(repo, 'Dockerfile');
  const probe =
    'RUN echo "limits $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max) $(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cut -d" " -f1 /sys/fs/cgroup/cpu.max)"';
  writeFileSync(df, readFileSync(df, 'utf8').replace('COPY server.pl', `${probe}\nCOPY server.pl`));
  await commitAll(repo, 'print the limits');
  const push = await git(repo, ['push', `http://yb:${p.token}@${new URL(p.apiUrl).host}/git/limited.git`, 'main']);
  assert.equal(push.code, 0, push.output);
  assert.match(push.output, /remote: -----> Dockerfile found; building with the Docker engine \(classic builder\)/);
  assert.match(push.output, new RegExp(`remote: +limits ${256 * 1024 * 1024} 50000`));
  assert.equal((await p.fetchApp('limited.localhost')).body, readFileSync(join(ROOT, 'test/fixtures/apps/dockerfile-hello/EXPECTED'), 'utf8').trim());
});

test('an unknown YB_DOCKERFILE_BUILDER stops ybd with one clear line', async () => {
  const r = await promisify(execFile)(process.execPath, [join(ROOT, 'dist/bin/ybd.js')], { env: { ...process.env, YB_DOCKERFILE_BUILDER: 'fast' } }).catch(
    (e: { code: number; stderr: string }) => e,
  );
  assert.equal((r as { code: number }).code, 1);
  assert.match((r as { stderr: string }).stderr, /YB_DOCKERFILE_BUILDER="fast" must be buildkit or classic/);
});
