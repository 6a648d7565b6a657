// Issue #18 item 8: autoscaling by the router's own metrics. An app whose every request takes 100 ms, one at a time
// (test/fixtures/apps/dockerfile-slow), gets more load through the router than one process serves within a p95 of
// 300 ms: it is scaled up (never past --max), the new processes serve through the router, with no failed request;
// the policy survives a restart of ybd; load removed, the restarted control plane scales it back down to --min after the
// cooldown. Every decision is in `yb events` and the app's log with its metric; a `ps:scale` by hand turns it off.
// Loopback only; the load is bounded in time and connections; cooldowns and windows shortened through settings.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPlatform, fixtureRepo, git, type Platform } from '../../helpers/platform.js';
import { startLoad, type Load } from '../../helpers/load.js';
import { until } from '../../helpers/until.js';

const APP = 'elastic';
const HOST = `${APP}.localhost`;
let p: Platform;
let load: Load | undefined;
/** Every quantity of web seen while the test watched, and their sequence. */
const seen = new Set<number>();
const history: number[] = [];
let watching: NodeJS.Timeout | undefined;

const SETTINGS = {
  YB_METRICS_INTERVAL: '2',
  YB_AUTOSCALE_INTERVAL: '2',
  YB_AUTOSCALE_WINDOW: '12',
  YB_AUTOSCALE_SUSTAIN: '6',
  YB_AUTOSCALE_UP_COOLDOWN: '4',
  YB_AUTOSCALE_DOWN_COOLDOWN: '10',
};

async function api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const res = await fetch(`${p.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${p.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as T };
}

async function webQuantity(): Promise<number> {
  const f = await api<Array<{ type: string; quantity: number }>>('GET', `/apps/${APP}/formation`);
  const q = f.json.find((x) => x.type === 'web')?.quantity ?? -1;
  seen.add(q);
  if (history.at(-1) !== q) history.push(q);
  return q;
}

interface Event {
  at: string;
  user: string;
  action: string;
  detail?: { type?: string; from?: number; to?: number; metric?: { name: string; value: number | null; target: number }; message?: string };
}
const events = async () => JSON.parse((await p.yb(['events', '-a', APP, '--json', '-n', '1000'])).stdout) as Event[];

before(async () => {
  p = await startPlatform(SETTINGS);
  const repo = await fixtureRepo('dockerfile-slow', p.dataDir);
  await p.yb(['apps:create', APP]);
  const r = await git(repo, ['push', `http://yb:${p.token}@${new URL(p.apiUrl).host}/git/${APP}.git`, 'HEAD:main']);
  assert.equal(r.code, 0, r.output);
  assert.equal((await p.fetchApp(HOST)).body, 'slow web.1\n');
});

after(async () => {
  clearInterval(watching);
  await load?.stop();
  await p?.stop();
});

test('bad policies are refused in one sentence and change nothing', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['autoscale', 'web', '-a', APP, '--min', '4', '--max', '2', '--p95-ms', '300'], /--min \(4\) must not be above --max \(2\)/],
    [['autoscale', 'web', '-a', APP, '--min', '1', '--max', '3'], /exactly one target/],
    [['autoscale', 'web', '-a', APP, '--min', '1', '--max', '3', '--p95-ms', '300', '--rps', '5'], /exactly one target/],
    [['autoscale', 'web', '-a', APP, '--min', 'one', '--max', '3', '--p95-ms', '300'], /--min must be a number/],
    [['autoscale', 'worker', '-a', APP, '--min', '1', '--max', '3', '--p95-ms', '300'], /elastic has no process type "worker" \(it has: web\)/],
    [['autoscale', 'web', '-a', APP, '--min', '1', '--max', '500', '--p95-ms', '300'], /max/],
    [['autoscale:off', 'web', '-a', APP], /web of elastic is not autoscaled/],
  ];
  for (const [args, message] of cases) {
    const r = await p.yb(args, { allowFail: true });
    assert.notEqual(r.code, 0, args.join(' '));
    assert.match(r.stderr, message, args.join(' '));
  }
  // Hostile process type names never reach the store.
  for (const type of ['..', 'web%2F..%2Fconfig', 'A'.repeat(31), 'web;rm']) {
    const r = await api<{ error?: unknown }>('PUT', `/apps/${APP}/autoscale/${type}`, { min: 1, max: 2, p95Ms: 300 });
    assert.ok([400, 404, 422].includes(r.status), `${type}: ${r.status}`);
  }
  assert.deepEqual(JSON.parse((await p.yb(['autoscale', '-a', APP, '--json'])).stdout), []);
});

test('sustained load over the target scales web up to --max and no further; the new processes serve through the router', async () => {
  const set = await p.yb(['autoscale', 'web', '-a', APP, '--min', '1', '--max', '3', '--p95-ms', '300']);
  assert.match(set.stdout, /Autoscaling web of elastic between 1 and 3 processes for p95 ≤ 300 ms \(now 1\)/);
  watching = setInterval(() => void webQuantity().catch(() => undefined), 500);
  // One burst (three seconds of the load below) is not a reason to scale: most of the window must be over the target.
  const burst = startLoad(p.routerPort, HOST, { keepAlive: 6, fresh: 2, maxSeconds: 3 });
  await until('the burst ended', async () => (await burst.stop()).requests > 0, 30_000);
  const calmFrom = Date.now();
  await until('two windows passed after the burst', () => Date.now() - calmFrom > 24_000, 40_000);
  assert.deepEqual(history, [1], 'no scaling after one burst');
  // Eight requests in flight against one process serving one at a time, 100 ms each: p95 near 800 ms.
  load = startLoad(p.routerPort, HOST, { keepAlive: 6, fresh: 2, maxSeconds: 400 });
  const t0 = Date.now();
  await until('web scaled up', async () => (await webQuantity()) >= 2, 180_000);
  const upAfter = (Date.now() - t0) / 1000;
  await until('web scaled to its maximum of 3', async () => (await webQuantity()) === 3, 180_000);
  await until(
    'all three processes served through the router',
    () => ['slow web.1\n', 'slow web.2\n', 'slow web.3\n'].every((b) => load!.result.bodies.has(b.slice(0, 60))),
    60_000,
  );
  process.stdout.write(`# first scale-up ${upAfter.toFixed(1)} s after the load started; at 3 after ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  assert.deepEqual(
    history.filter((q, i) => i > 0 && q < history[i - 1]!),
    [],
    `only up while the load lasts: ${history.join(' → ')}`,
  );

  const ups = (await events()).filter((e) => e.action === 'autoscale.up');
  assert.ok(ups.length >= 1, 'scale-ups recorded');
  for (const e of ups) {
    assert.equal(e.user, 'platform:autoscaler');
    assert.equal(e.detail?.type, 'web');
    assert.equal(e.detail?.metric?.name, 'p95Ms');
    assert.equal(e.detail?.metric?.target, 300);
    assert.ok((e.detail?.metric?.value ?? 0) > 330, `the metric that drove it: ${JSON.stringify(e.detail?.metric)}`);
    assert.ok(e.detail!.to! > e.detail!.from! && e.detail!.to! <= 3);
  }
  const log = (await p.yb(['logs', '-a', APP, '-n', '500', '--source', 'yb'])).stdout;
  assert.match(log, /yb\[autoscale\]: Autoscaled web from 1 to [23]: p95 \d+(\.\d)? ms over the last \d+ s is above the target of 300 ms/);
  const shown = (await p.yb(['autoscale', '-a', APP])).stdout;
  assert.match(shown, /web\s+1\s+3\s+p95 ≤ 300 ms\s+3/);
  assert.match(shown, /web: .* UTC (Autoscaled|Would autoscale) web/);
});

test('the policy survives a restart of ybd; with the load gone the restarted control plane scales web down to --min', async () => {
  const result = await load!.stop();
  load = undefined;
  assert.equal(result.failures, 0, `no failed request while scaling up: ${result.samples.join('; ')}`);
  process.stdout.write(`# ${result.requests} requests through the router, 0 failed\n`);
  p.child.kill('SIGTERM'); // ybd stops its router child too: the load ended first
  await until('ybd stopped', () => p.child.exitCode !== null || p.child.signalCode !== null, 60_000);
  await p.restart();
  const views = JSON.parse((await p.yb(['autoscale', '-a', APP, '--json'])).stdout) as Array<{ type: string; min: number; max: number; p95Ms: number }>;
  assert.deepEqual(
    views.map((v) => [v.type, v.min, v.max, v.p95Ms]),
    [['web', 1, 3, 300]],
  );
  const t0 = Date.now();
  await until('web scaled back down to 1', async () => (await webQuantity()) === 1, 240_000);
  process.stdout.write(`# back at 1 process ${((Date.now() - t0) / 1000).toFixed(1)} s after the restart\n`);
  clearInterval(watching);
  assert.ok(Math.max(...seen) <= 3 && Math.min(...seen) >= 1, `web stayed within 1..3: ${[...seen].join(',')}`);
  assert.equal((await p.fetchApp(HOST)).body, 'slow web.1\n');

  // The formation changes before the old process has stopped; the decision is recorded once the scale is done.
  let list: Event[] = [];
  const recorded = () => list.filter((e) => e.action === 'autoscale.down').length >= 2;
  await until('both steps down recorded', async () => ((list = await events()), recorded()), 30_000).catch(() => undefined);
  const downs = list.filter((e) => e.action === 'autoscale.down');
  const trail = list
    .filter((e) => e.action.startsWith('autoscale.') || e.action === 'scale')
    .map((e) => `${e.at} ${e.action} ${e.detail?.message ?? ''}`)
    .reverse();
  assert.ok(downs.length >= 2, `one process at a time: 3 → 2 → 1, seen ${history.join(' → ')}\n${trail.join('\n')}`);
  for (const e of downs) assert.equal(e.detail!.to, e.detail!.from! - 1);
  const times = downs.map((e) => Date.parse(e.at)).sort((a, b) => a - b);
  for (let i = 1; i < times.length; i++) assert.ok(times[i]! - times[i - 1]! >= 10_000, 'each step down waits for the down cooldown');
  assert.ok(
    list.some((e) => e.action === 'autoscale.cooldown' && /^Would autoscale web from \d to \d but it is cooling down until/.test(e.detail?.message ?? '')),
    'the "would scale but cooling down" is recorded',
  );
  const log = (await p.yb(['logs', '-a', APP, '-n', '500', '--source', 'yb'])).stdout;
  assert.match(log, /yb\[autoscale\]: Autoscaled web from 2 to 1: no requests over the last \d+ s is below half the target of 300 ms/);
});

test('a ps:scale by hand turns autoscaling of that type off (as Heroku does) and the quantity stays', async () => {
  await p.yb(['ps:scale', 'web=2', '-a', APP]);
  assert.deepEqual(JSON.parse((await p.yb(['autoscale', '-a', APP, '--json'])).stdout), []);
  assert.match(
    (await p.yb(['logs', '-a', APP, '-n', '200', '--source', 'yb'])).stdout,
    /yb\[autoscale\]: Autoscaling of web turned off \(scaled by hand to 2\)/,
  );
  // Idle long past the down cooldown: nobody scales it back.
  const since = Date.now();
  await until('several autoscaling periods passed', () => Date.now() - since > 16_000, 30_000);
  assert.equal(await webQuantity(), 2);
  await p.yb(['autoscale', 'web', '-a', APP, '--min', '1', '--max', '2', '--rps', '50']);
  await p.yb(['autoscale:off', 'web', '-a', APP]);
  assert.deepEqual(JSON.parse((await p.yb(['autoscale', '-a', APP, '--json'])).stdout), []);
  const mine = (await events()).filter((e) => e.user === 'admin' && e.action.startsWith('autoscale.')).map((e) => e.action);
  assert.deepEqual(mine, ['autoscale.unset', 'autoscale.set', 'autoscale.set'], "the users' own changes, newest first");
});

test('a requests-per-second target: load past what one process should serve scales up to what the rate needs', async () => {
  await p.yb(['ps:scale', 'web=1', '-a', APP]);
  await p.yb(['autoscale', 'web', '-a', APP, '--min', '1', '--max', '3', '--rps', '4']);
  // About 10 requests/s (one process, 100 ms each) against a target of 4 per process.
  load = startLoad(p.routerPort, HOST, { keepAlive: 6, fresh: 2, maxSeconds: 200 });
  await until('web scaled up for the request rate', async () => (await webQuantity()) >= 2, 120_000);
  const result = await load.stop();
  load = undefined;
  assert.equal(result.failures, 0, result.samples.join('; '));
  let up: Event | undefined;
  await until(
    'the scale-up recorded',
    async () => (up = (await events()).find((e) => e.action === 'autoscale.up' && e.detail?.metric?.name === 'rps')),
    30_000,
  );
  assert.equal(up!.detail!.metric!.target, 4);
  assert.ok(up!.detail!.metric!.value! > 4.4, JSON.stringify(up!.detail));
  assert.match(
    up!.detail!.message!,
    /^Autoscaled web from 1 to [23]: \d+\.\d requests\/s per process over the last \d+ s is above the target of 4 requests\/s per process/,
  );
  await p.yb(['autoscale:off', 'web', '-a', APP]);
});
