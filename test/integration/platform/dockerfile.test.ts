// Issue #3 (Dockerfile part): Dockerfile apps with multi-stage builds, build args from config, .dockerignore,
// EXPOSE and HEALTHCHECK (run by the platform at once; failing it rejects the push); a missing base image fails
// in one sentence; deploys without git (source upload, prebuilt image) and images:import. Real platform, real
// Docker engine.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startPlatform, fixtureRepo, git, commitAll, ROOT, type Platform } from '../../helpers/platform.js';

const run = promisify(execFile);
let p: Platform;
let repo: string;
const pushUrl = (app: string) => `http://yb:${p.token}@${new URL(p.apiUrl).host}/git/${app}.git`;

before(async () => {
  p = await startPlatform();
  repo = await fixtureRepo('dockerfile-args', p.dataDir);
  await p.yb(['apps:create', 'dock']);
});

after(async () => {
  await p?.stop();
});

test('a Dockerfile app builds with the Docker engine and serves on its EXPOSEd port', async () => {
  const push = await git(repo, ['push', pushUrl('dock'), 'main']);
  assert.equal(push.code, 0, push.output);
  assert.match(push.output, /remote: -----> Dockerfile found/);
  const res = await p.fetchApp('dock.localhost');
  assert.equal(res.body, readFileSync(join(ROOT, 'test/fixtures/apps/dockerfile-args/EXPECTED'), 'utf8').trim(), '.dockerignore kept secret.txt out');
  const builds = JSON.parse((await p.yb(['builds', '-a', 'dock', '--json'])).stdout) as Array<{ builder: string; status: string }>;
  assert.equal(builds[0]!.builder, 'dockerfile');
  const rel = JSON.parse((await p.yb(['releases:info', '-a', 'dock', '--json'])).stdout) as { processTypes: Record<string, string> };
  assert.deepEqual(Object.keys(rel.processTypes), ['web']);
});

test('config vars named like a Dockerfile ARG are passed as build args', async () => {
  await p.yb(['config:set', 'GREETING=from-config', '-a', 'dock']);
  await git(repo, ['-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '--allow-empty', '-qm', 'rebuild']);
  const push = await git(repo, ['push', pushUrl('dock'), 'main']);
  assert.equal(push.code, 0, push.output);
  assert.match(push.output, /Build args from config: GREETING/);
  assert.equal((await p.fetchApp('dock.localhost')).body, 'hello from a Dockerfile: from-config, secret: absent');
});

/** Pushes the app with `from` replaced by `to` in its Dockerfile, then commits the Dockerfile back as it was. */
async function pushChangedDockerfile(from: string, to: string): Promise<{ code: number; output: string }> {
  const df = join(repo, 'Dockerfile');
  const before = readFileSync(df, 'utf8');
  writeFileSync(df, before.replace(from, to));
  await commitAll(repo, `Dockerfile: ${to.slice(0, 40)}`);
  const push = await git(repo, ['push', pushUrl('dock'), 'main']);
  writeFileSync(df, before);
  await commitAll(repo, 'Dockerfile back');
  return push;
}

test('a failing RUN step rejects the push with its output and the reason; the previous release keeps serving', async () => {
  const push = await pushChangedDockerfile(
    'RUN mkdir -p /out',
    'RUN echo "checking the toolchain" && echo "no compiler here" >&2 && exit 3\nRUN mkdir -p /out',
  );
  assert.notEqual(push.code, 0, push.output);
  assert.match(push.output, /remote: +#\d+ \[build 2\/3\] RUN echo "checking the toolchain"/);
  assert.match(push.output, /remote: +#\d+ checking the toolchain/);
  assert.match(push.output, /remote: +#\d+ no compiler here/);
  assert.match(push.output, /remote: !\s+docker build failed: .*exit code: 3/);
  assert.equal((await p.fetchApp('dock.localhost')).body, 'hello from a Dockerfile: from-config, secret: absent');
});

test('a base image that is not on the machine fails the push in one clear sentence', async () => {
  const push = await pushChangedDockerfile('ARG BASE=yunbang/stack:latest', 'ARG BASE=nosuch/base:1.0');
  assert.notEqual(push.code, 0);
  assert.match(push.output, /remote: !\s+the base image "nosuch\/base:1.0" is not on this machine/);
  assert.match(push.output, /yb images:import/);
  assert.equal((await p.fetchApp('dock.localhost')).body, 'hello from a Dockerfile: from-config, secret: absent');
});

test('builds:create deploys a directory without git', async () => {
  await p.yb(['apps:create', 'upload']);
  const src = join(ROOT, 'test/fixtures/apps/node-zero');
  const r = await p.yb(['builds:create', '-a', 'upload', '--source', src]);
  assert.match(r.stdout, /v1 is live/);
  assert.equal((await p.fetchApp('upload.localhost')).body, 'ok v1');
  const bad = await p.yb(['builds:create', '-a', 'upload', '--source', join(p.dataDir, 'nope')], { allowFail: true });
  assert.equal(bad.code, 2);
});

test('deploy:image releases a local image; images:import loads an archive', async () => {
  const ctx = join(p.dataDir, 'img');
  await run('mkdir', ['-p', ctx]);
  writeFileSync(
    join(ctx, 'Dockerfile'),
    `FROM yunbang/stack:latest\nRUN echo prebuilt > /app/greeting\nCOPY server.pl /app/server.pl\nEXPOSE 8000\nCMD ["perl", "/app/server.pl"]\n`,
  );
  writeFileSync(join(ctx, 'server.pl'), readFileSync(join(ROOT, 'test/fixtures/apps/dockerfile-args/server.pl')));
  const tag = `${p.instance}/prebuilt:1`;
  await run('docker', ['build', '-q', '--label', `yunbang.instance=${p.instance}`, '-t', tag, ctx]);
  await p.yb(['apps:create', 'prebuilt']);
  await p.yb(['deploy:image', tag, '-a', 'prebuilt']);
  assert.equal((await p.fetchApp('prebuilt.localhost')).body, 'hello from a Dockerfile: prebuilt, secret: absent');
  const missing = await p.yb(['deploy:image', 'nosuch/image:9', '-a', 'prebuilt'], { allowFail: true });
  assert.equal(missing.code, 4);
  assert.match(missing.stderr, /not on this machine/);

  const archive = join(p.dataDir, 'prebuilt.tar');
  const tag2 = `${p.instance}/imported:1`;
  await run('docker', ['tag', tag, tag2]);
  await run('docker', ['save', '-o', archive, tag2]);
  await run('docker', ['rmi', tag2]);
  const r = await p.yb(['images:import', archive]);
  assert.match(r.stdout, new RegExp(`Loaded .*${tag2.replace(/[/:]/g, '.')}`));
  await run('docker', ['image', 'inspect', tag2]);
  await run('docker', ['rmi', tag2]);
});

test("a HEALTHCHECK is run by the platform as soon as the port listens, not after Docker's interval", async () => {
  const app = 'dock-health';
  await p.yb(['apps:create', app]);
  const src = await fixtureRepo('dockerfile-hello', p.dataDir);
  const df = join(src, 'Dockerfile');
  // Docker would run this check first 5 minutes after the start; the deploy must not wait for that.
  writeFileSync(
    df,
    readFileSync(df, 'utf8').replace(/^HEALTHCHECK .*$/m, 'HEALTHCHECK --interval=5m CMD curl -fsS -o /dev/null http://127.0.0.1:8000/ || exit 1'),
  );
  await commitAll(src, 'long interval');
  const push = await git(src, ['push', pushUrl(app), 'main']);
  assert.equal(push.code, 0, push.output);
  assert.match(push.output, /passed its health check/);
  assert.equal((await p.fetchApp(`${app}.localhost`)).body, readFileSync(join(ROOT, 'test/fixtures/apps/dockerfile-hello/EXPECTED'), 'utf8').trim());
  const { stdout } = await run('docker', ['ps', '-q', '--filter', `label=yunbang.instance=${p.instance}`, '--filter', `label=yunbang.app=${app}`]);
  const { stdout: health } = await run('docker', ['inspect', '-f', '{{.State.Health.Status}}', stdout.trim()]);
  assert.equal(health.trim(), 'starting', 'Docker has not run the check yet: the platform ran it');

  // A HEALTHCHECK that fails rejects the push (Docker's own verdict, after --retries, ends the wait); v1 keeps serving.
  writeFileSync(
    df,
    readFileSync(df, 'utf8').replace(
      /^HEALTHCHECK .*$/m,
      'HEALTHCHECK --interval=1s --retries=2 CMD curl -fsS -o /dev/null http://127.0.0.1:8000/missing || exit 1',
    ),
  );
  await commitAll(src, 'failing check');
  const bad = await git(src, ['push', pushUrl(app), 'main']);
  assert.notEqual(bad.code, 0, bad.output);
  assert.match(
    bad.output,
    /remote: !\s+web\.1 of v2 failed its health check: Docker reports the image HEALTHCHECK unhealthy \(HEALTHCHECK exit code 1: curl: \(22\) The requested URL returned error: 404/,
  );
  assert.equal((await p.fetchApp(`${app}.localhost`)).body, readFileSync(join(ROOT, 'test/fixtures/apps/dockerfile-hello/EXPECTED'), 'utf8').trim());
});
