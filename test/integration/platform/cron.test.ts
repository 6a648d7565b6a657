// Issue #18 item 2: scheduled jobs from app.json "cron" (Dokku's format). Each run is a one-off of the current release
// with the app's config; its output is in `yb logs` as app[cron.<id>], its exit code and duration in `yb cron`;
// `cron:run` runs one now and refuses a second while the first runs; runs that fell while the platform was down are
// reported, not run late; a bad schedule rejects the push and the previous release keeps serving.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { startPlatform, fixtureRepo, git, ROOT, type Platform } from '../../helpers/platform.js';
import { until } from '../../helpers/until.js';

const APP = 'ticker';
const EXPECTED = readFileSync(join(ROOT, 'test/fixtures/apps/dockerfile-hello/EXPECTED'), 'utf8').trim();
let p: Platform;
let repo: string;

interface Job {
  id: string;
  schedule: string;
  command: string;
  next: string | null;
  running: boolean;
  state: { last?: { status: string; exitCode: number | null; durationMs?: number; trigger: string }; missed?: { count: number } };
}

const JOBS = [
  { command: 'echo "cron says $GREETING from $DYNO"', schedule: '* * * * *' },
  { command: 'echo failing; exit 3', schedule: '0 0 1 1 *' },
  { command: 'sleep 20', schedule: '@yearly' },
];

const push = () => git(repo, ['push', `http://yb:${p.token}@${new URL(p.apiUrl).host}/git/${APP}.git`, 'HEAD:main']);

async function jobs(): Promise<Job[]> {
  return JSON.parse((await p.yb(['cron', '-a', APP, '--json'])).stdout) as Job[];
}
const job = async (command: string) => (await jobs()).find((j) => j.command === command)!;

before(async () => {
  p = await startPlatform();
  repo = await fixtureRepo('dockerfile-hello', p.dataDir);
  writeFileSync(join(repo, 'app.json'), JSON.stringify({ cron: JOBS }, null, 2));
  await git(repo, ['add', '-A']);
  await git(repo, ['commit', '-qm', 'cron jobs']);
  await p.yb(['apps:create', APP]);
  await p.yb(['config:set', 'GREETING=hello', '-a', APP]);
  const r = await push();
  assert.equal(r.code, 0, r.output);
});

after(async () => {
  await p?.stop();
});

test('yb cron lists the jobs with their next run; the every-minute job runs on schedule with the config, its output in the log', async () => {
  const list = await jobs();
  assert.deepEqual(
    list.map((j) => [j.schedule, j.command]),
    JOBS.map((j) => [j.schedule, j.command]),
  );
  for (const j of list) assert.match(j.id, /^[0-9a-f]{10}$/);
  const every = list[0]!;
  assert.ok(every.next && Date.parse(every.next) - Date.now() <= 61_000, `next run within a minute: ${every.next}`);
  assert.equal(list[1]!.next?.slice(5, 16), '01-01T00:00');
  const text = (await p.yb(['cron', '-a', APP])).stdout;
  assert.match(text, /never ran/);

  await until('the scheduled run finished', async () => (await job(JOBS[0]!.command)).state.last?.status === 'succeeded', 90_000);
  const last = (await job(JOBS[0]!.command)).state.last!;
  assert.equal(last.trigger, 'schedule');
  assert.equal(last.exitCode, 0);
  const logs = (await p.yb(['logs', '-a', APP, '-n', '200', '--ps', `cron.${every.id}`])).stdout;
  assert.match(logs, new RegExp(`app\\[cron\\.${every.id}\\]: cron says hello from run\\.1`));
  const yb = (await p.yb(['logs', '-a', APP, '-n', '200', '--source', 'yb'])).stdout;
  assert.match(yb, new RegExp(`yb\\[cron\\]: Cron job ${every.id} succeeded with exit code 0`));
});

test('cron:run runs a job now and records its failure; a second run of a job still running is refused', async () => {
  const failing = await job(JOBS[1]!.command);
  const r = await p.yb(['cron:run', failing.id, '-a', APP]);
  assert.match(r.stdout, /Running echo failing/);
  await until('the manual run finished', async () => (await job(JOBS[1]!.command)).state.last?.status === 'failed', 60_000);
  const last = (await job(JOBS[1]!.command)).state.last!;
  assert.deepEqual([last.trigger, last.exitCode], ['manual', 3]);
  assert.match((await p.yb(['cron', '-a', APP])).stdout, /exit 3/);

  const slow = await job(JOBS[2]!.command);
  await p.yb(['cron:run', slow.id, '-a', APP]);
  const again = await p.yb(['cron:run', slow.id, '-a', APP], { allowFail: true });
  assert.equal(again.code, 5);
  assert.match(again.stderr, /still running/);
  const unknown = await p.yb(['cron:run', '0123456789', '-a', APP], { allowFail: true });
  assert.equal(unknown.code, 4);
  assert.match(unknown.stderr, /has no cron job 0123456789/);
  const hostile = await p.yb(['cron:run', '../../x', '-a', APP], { allowFail: true });
  assert.notEqual(hostile.code, 0);
});

test('runs that fell while the platform was down are reported, not run late', async () => {
  p.kill9(); // its embedded etcd stays up; the next start adopts it
  await until('ybd gone', () => p.child.exitCode !== null || p.child.signalCode !== null);
  const etcd = new Etcd3({ hosts: `http://127.0.0.1:${p.env.YB_ETCD_PORT}` });
  try {
    // As if the last minute any runner saw was ten minutes ago.
    await etcd.put('/yunbang/cron-clock').value(JSON.stringify({ minute: new Date(Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000).toISOString() }));
  } finally {
    etcd.close();
  }
  await p.restart();
  const every = await job(JOBS[0]!.command);
  assert.ok(every.state.missed && every.state.missed.count >= 10 && every.state.missed.count <= 11, JSON.stringify(every.state));
  assert.equal((await job(JOBS[1]!.command)).state.missed, undefined, 'the yearly job missed nothing');
  assert.match((await p.yb(['cron', '-a', APP])).stdout, /missed 1\d run\(s\) while the platform was down/);
  assert.match((await p.yb(['logs', '-a', APP, '-n', '100', '--source', 'yb'])).stdout, /missed 1\d runs while the platform was down/);
});

test('a bad schedule rejects the push in one sentence and the previous release keeps serving', async () => {
  writeFileSync(join(repo, 'app.json'), JSON.stringify({ cron: [{ command: 'echo x', schedule: '61 * * * *' }] }));
  await git(repo, ['commit', '-qam', 'bad cron']);
  const r = await push();
  assert.notEqual(r.code, 0);
  assert.match(r.output, /cron\[0\].*minute 61 is outside 0-59/);
  assert.equal((await jobs()).length, 3, 'the current release still has its jobs');
  assert.equal((await p.fetchApp(`${APP}.localhost`)).body, EXPECTED);
});
