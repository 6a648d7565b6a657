// Issue #8, logs: one stream per app from the real platform — process output followed through the test run's
// backend (Docker or Kubernetes), router access lines tailed from the router log, yb[deploy] events — with -n, --ps,
// --source, --json, a live tail, and persistence across a kill -9 of the control plane (the router and the app keep
// running meanwhile).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startPlatform, fixtureRepo, git, ROOT, type Platform } from '../../helpers/platform.js';

let p: Platform;
let repo: string;
const APP = 'logsapp';

async function logs(args: string[] = []): Promise<string[]> {
  return (await p.yb(['logs', '-a', APP, ...args])).stdout.split('\n').filter(Boolean);
}

/** Polls `yb logs` until `pred` holds (the collectors are asynchronous); fails with the last output. */
async function waitLogs(pred: (lines: string[]) => boolean, args: string[] = ['-n', '1000'], timeoutMs = 20_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let last: string[] = [];
  while (Date.now() < deadline) {
    last = await logs(args);
    if (pred(last)) return last;
    await new Promise((r) => setTimeout(r, 300));
  }
  assert.fail(`logs did not match in time:\n${last.join('\n')}`);
}

const count = (lines: string[], re: RegExp) => lines.filter((l) => re.test(l)).length;

before(async () => {
  p = await startPlatform();
  repo = await fixtureRepo('node-hello', p.dataDir);
  await p.yb(['apps:create', APP, '--no-remote']);
  const u = new URL(p.apiUrl);
  const push = await git(repo, ['push', `http://yb:${p.token}@${u.host}/git/${APP}.git`, 'main']);
  assert.equal(push.code, 0, push.output);
});

after(async () => {
  await p?.stop();
});

test('app output, router requests and platform events arrive in one Heroku-style stream', async () => {
  for (const path of ['/probe-1', '/probe-2']) assert.equal((await p.fetchApp(`${APP}.localhost`, path)).status, 404);
  const lines = await waitLogs((ls) => ls.some((l) => /router: .*path=\/probe-2/.test(l)) && ls.some((l) => / app\[web\.1\]: node-hello listening/.test(l)));
  const ts = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';
  assert.ok(
    lines.some((l) => new RegExp(`^${ts} app\\[web\\.1\\]: node-hello listening on port \\d+$`).test(l)),
    lines.join('\n'),
  );
  assert.ok(
    lines.some((l) =>
      new RegExp(
        `^${ts} router: method=GET path=/probe-1 host=${APP}\\.localhost status=404 duration=\\d+ms bytes=\\d+ upstream=${p.probe.addressPattern.source}`,
      ).test(l),
    ),
    lines.join('\n'),
  );
  assert.ok(
    lines.some((l) => new RegExp(`^${ts} yb\\[deploy\\]: Release v1 created by admin: Deploy [0-9a-f]{7}$`).test(l)),
    lines.join('\n'),
  );
  assert.ok(lines.some((l) => /yb\[deploy\]: Release v1 is live$/.test(l)));
  const times = lines.map((l) => l.slice(0, 24));
  assert.deepEqual([...times].sort(), times, 'lines are in time order');
});

test('-n, --ps, --source and --json select lines', async () => {
  assert.equal((await logs(['-n', '2'])).length, 2);
  const web = await logs(['--ps', 'web', '-n', '1000']);
  assert.ok(web.length > 0 && web.every((l) => /(app|yb)\[web\.1\]:/.test(l)), web.join('\n'));
  assert.deepEqual(await logs(['--ps', 'worker']), []);
  const router = await logs(['--source', 'router', '-n', '1000']);
  assert.ok(router.length >= 2 && router.every((l) => / router: /.test(l)), router.join('\n'));
  const yb = await logs(['--source', 'yb', '-n', '1000']);
  assert.ok(yb.length >= 2 && yb.every((l) => / yb\[/.test(l)), yb.join('\n'));
  const json = JSON.parse((await p.yb(['logs', '-a', APP, '--source', 'router', '-n', '1', '--json'])).stdout) as Array<Record<string, string>>;
  assert.equal(json.length, 1);
  assert.equal(json[0]!.source, 'router');
  assert.match(json[0]!.message!, /^method=GET /);
  const bad = await p.yb(['logs', '-a', APP, '--source', 'nope'], { allowFail: true });
  assert.equal(bad.code, 2, 'a bad option is a user error');
  const missing = await p.yb(['logs', '-a', 'no-such-app'], { allowFail: true });
  assert.equal(missing.code, 4);
});

test('yb logs -t streams new lines as they happen', async () => {
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'bin', 'yb.js'), 'logs', '-a', APP, '-t', '-n', '0', '--source', 'router'], {
    env: p.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  try {
    await new Promise((r) => setTimeout(r, 500)); // let the stream open; lines before it are not asked for (-n 0)
    const deadline = Date.now() + 15_000;
    while (!/path=\/tailed/.test(out)) {
      assert.ok(Date.now() < deadline, `no streamed line; got:\n${out}`);
      await p.fetchApp(`${APP}.localhost`, '/tailed');
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(
      out
        .split('\n')
        .filter(Boolean)
        .every((l) => / router: /.test(l)),
      out,
    );
    assert.equal(child.exitCode, null, 'still following');
  } finally {
    child.kill('SIGINT');
  }
});

test('lines survive a kill -9 of the control plane, and nothing written meanwhile is lost or repeated', async () => {
  const [web] = (await p.probe.processes({ app: APP, kind: 'process' })).filter((c) => c.running);
  assert.ok(web, `a running process of ${APP}`);
  await waitLogs((ls) => count(ls, /path=\/probe-1 /) === 1);
  p.kill9();
  await new Promise((r) => setTimeout(r, 300));
  // the router (its own process) and the app keep working while ybd is down
  assert.equal((await p.fetchApp(`${APP}.localhost`, '/while-down')).status, 404);
  await p.probe.exec(web.id, ['sh', '-c', 'echo written-while-down > /proc/1/fd/1']);
  await p.restart();
  const lines = await waitLogs((ls) => ls.some((l) => /path=\/while-down /.test(l)) && ls.some((l) => /app\[web\.1\]: written-while-down$/.test(l)));
  assert.equal(count(lines, /path=\/probe-1 /), 1, 'router lines are not repeated');
  assert.equal(count(lines, /path=\/while-down /), 1);
  assert.equal(count(lines, /app\[web\.1\]: node-hello listening/), 1, 'container lines are not repeated');
  assert.equal(count(lines, /written-while-down/), 1);
  assert.equal(count(lines, /Release v1 is live/), 1);
});

test('a config change logs the release, the old process stopping, and the new one starting', async () => {
  await p.yb(['config:set', 'GREETING=logs', '-a', APP]);
  // Each process's output is followed on its own, so the new process's first line may be stored after the old one's last.
  const lines = await waitLogs(
    (ls) =>
      ls.some((l) => /yb\[deploy\]: Release v2 is live/.test(l)) &&
      ls.some((l) => /app\[web\.1\]: SIGTERM received/.test(l)) &&
      count(ls, /app\[web\.1\]: node-hello listening/) >= 2,
  );
  assert.ok(
    lines.some((l) => /yb\[deploy\]: Release v2 created by admin: Set GREETING/.test(l)),
    lines.join('\n'),
  );
  assert.equal(count(lines, /app\[web\.1\]: node-hello listening/), 2, 'the v2 process started');
  await waitLogs((ls) => ls.some((l) => /yb\[web\.1\]: Stopped \(exit code 0\)/.test(l)));
});

test("yb builds, builds:info and builds:output show the push's build", async () => {
  const builds = JSON.parse((await p.yb(['builds', '-a', APP, '--json'])).stdout) as Array<{ id: string; status: string }>;
  assert.equal(builds.length, 1);
  assert.equal(builds[0]!.status, 'succeeded');
  assert.match((await p.yb(['builds', '-a', APP])).stdout, new RegExp(`${builds[0]!.id} +succeeded`));
  const info = JSON.parse((await p.yb(['builds:info', '-a', APP, '--json'])).stdout) as { id: string };
  assert.equal(info.id, builds[0]!.id);
  assert.match((await p.yb(['builds:output', builds[0]!.id, '-a', APP])).stdout, /Node\.js app detected/);
  const none = await p.yb(['builds:info', 'nosuchbuild', '-a', APP], { allowFail: true });
  assert.equal(none.code, 4);
});
