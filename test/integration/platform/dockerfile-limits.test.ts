// BuildKit (the default Dockerfile builder) ignores the engine API's per-build limits, so ybd sets YB_BUILD_MEMORY,
// YB_BUILD_CPUS and YB_BUILD_PIDS on the cgroup the engine puts every BuildKit RUN step under (docker/buildkit). Proven by the
// kernel: a busy step is throttled to the CPU quota, a step that wants more memory is killed, a fork bomb stops at
// the process limit, and the push fails
// with nothing released. And the engine's build cache is pruned to YB_BUILD_CACHE_MB after builds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPlatform, fixtureRepo, git, commitAll, ROOT, type Platform } from '../../helpers/platform.js';
import { eventually } from '../../helpers/tls-client.js';

const V1 = existsSync('/sys/fs/cgroup/memory/docker');
const MEMORY_FILE = V1 ? '/sys/fs/cgroup/memory/docker/buildkit/memory.limit_in_bytes' : '/sys/fs/cgroup/docker/buildkit/memory.max';
const CPU_FILE = V1 ? '/sys/fs/cgroup/cpu/docker/buildkit/cpu.cfs_quota_us' : '/sys/fs/cgroup/docker/buildkit/cpu.max';
const PIDS_FILE = V1 ? '/sys/fs/cgroup/pids/docker/buildkit/pids.max' : '/sys/fs/cgroup/docker/buildkit/pids.max';
const CPU_STAT = V1 ? '/sys/fs/cgroup/cpu/docker/buildkit/cpu.stat' : '/sys/fs/cgroup/docker/buildkit/cpu.stat';

let p: Platform;
let repo: string;
const expected = readFileSync(join(ROOT, 'test/fixtures/apps/dockerfile-hello/EXPECTED'), 'utf8').trim();
const pushUrl = () => `http://yb:${p.token}@${new URL(p.apiUrl).host}/git/bounded.git`;
const throttled = () => Number(/nr_throttled (\d+)/.exec(readFileSync(CPU_STAT, 'utf8'))?.[1]);

before(async () => {
  p = await startPlatform({ YB_BUILD_MEMORY: '256', YB_BUILD_CPUS: '0.5', YB_BUILD_PIDS: '200', YB_BUILD_CACHE_MB: '1' });
  await p.yb(['apps:create', 'bounded']);
  repo = await fixtureRepo('dockerfile-hello', p.dataDir);
});

after(async () => {
  await p?.stop();
});

/**
 * Pushes the fixture with `step` before its first COPY; `stage`: a build stage put before the fixture's own. RUN
 * lines are made unique (a trailing comment) so that no layer cache answers them.
 */
async function pushWithStep(step: string, stage = ''): Promise<{ code: number; output: string }> {
  const df = join(repo, 'Dockerfile');
  const original = readFileSync(join(ROOT, 'test/fixtures/apps/dockerfile-hello/Dockerfile'), 'utf8');
  const unique = (text: string) => text.replace(/^(RUN .*)$/gm, `$1 # ${p.instance}-${Date.now()}`);
  writeFileSync(df, unique(stage) + original.replace('COPY server.pl', `${unique(step)}\nCOPY server.pl`));
  await commitAll(repo, step.slice(0, 40));
  return git(repo, ['push', pushUrl(), 'main']);
}

test('ybd puts the limits on the cgroup of BuildKit steps; a busy step is throttled to the CPU quota', async () => {
  assert.match(p.output(), /BuildKit RUN steps limited/);
  assert.equal(readFileSync(MEMORY_FILE, 'utf8').trim(), String(256 * 1024 * 1024));
  assert.match(readFileSync(CPU_FILE, 'utf8'), /^50000\b/);
  const before = throttled();
  const push = await pushWithStep(`RUN perl -e '$t = time + 2; 1 while time < $t; print "spun\\n"'`);
  assert.equal(push.code, 0, push.output);
  assert.match(push.output, /remote: +#\d+ spun/);
  assert.ok(throttled() > before, `the kernel throttled the step (nr_throttled ${before} → ${throttled()})`);
  assert.equal((await p.fetchApp('bounded.localhost')).body, expected);
});

test('a step that wants more memory than YB_BUILD_MEMORY is killed; the push fails and the last release keeps serving', async () => {
  const push = await pushWithStep(`RUN perl -e '$x = "a" x (400 * 1024 * 1024); print "allocated\\n"'`);
  assert.notEqual(push.code, 0, push.output);
  assert.doesNotMatch(push.output, /#\d+ allocated/);
  assert.match(push.output, /remote: !\s+docker build failed: .*exit code: 137/);
  assert.match(push.output, /most likely for using more than the build memory limit \(YB_BUILD_MEMORY, 256 MiB\)/);
  assert.equal((await p.fetchApp('bounded.localhost')).body, expected);
});

test('a fork bomb in a RUN step stops at YB_BUILD_PIDS (issue #14); the push fails and the last release keeps serving', async () => {
  assert.equal(readFileSync(PIDS_FILE, 'utf8').trim(), '200');
  // Bounded: at most 300 children, each gone within 20 s (and with the step's PID namespace when it fails).
  const push = await pushWithStep(
    `RUN perl -e 'for my $n (1..300) { my $pid = fork; if (!defined $pid) { print "fork refused after $n\\n"; exit 1 } if (!$pid) { sleep 20; exit 0 } } print "forked all 300\\n"'`,
  );
  assert.notEqual(push.code, 0, push.output);
  assert.match(push.output, /remote: +#\d+ fork refused after \d+/);
  assert.doesNotMatch(push.output, /remote: +#\d+ forked all 300/);
  assert.equal((await p.fetchApp('bounded.localhost')).body, expected);
});

test("after a build the engine's build cache is pruned down to YB_BUILD_CACHE_MB", async () => {
  // A 20 MB layer only the cache holds: made in a stage of which the image keeps a checksum. (Cache that an
  // image's layers share is freed with the image, by release retention.)
  const from = p.output().length;
  const stage = 'FROM yunbang/stack:latest AS scratchpad\nRUN head -c 20000000 /dev/urandom > /blob && sha256sum /blob > /blob.sum\n';
  const push = await pushWithStep('COPY --from=scratchpad /blob.sum /app/blob.sum', stage);
  assert.equal(push.code, 0, push.output);
  const pruned = await eventually(
    'a prune after the build',
    async () => p.output().slice(from),
    (out) => /build cache pruned/.test(out),
    30_000,
  );
  const line = JSON.parse(pruned.split('\n').find((l) => l.includes('build cache pruned'))!) as { reclaimedMiB: number; keepMiB: number };
  assert.ok(line.reclaimedMiB >= 19, `the 20 MB step's cache went (${line.reclaimedMiB} MiB reclaimed)`);
  assert.equal(line.keepMiB, 1);
  assert.equal((await p.fetchApp('bounded.localhost')).body, expected, 'the image built from that cache still serves');
});
