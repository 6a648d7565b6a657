// Issue #18 item 7 end to end: scheduled service backups copied to a real S3-compatible server (versitygw started here
// on loopback with its own keys and data, test/helpers/s3-server.ts). A Redis service with data, a schedule every
// minute producing a backup that lands in the store, keep=2 pruning here and in the store, the local file deleted and
// the data restored from the off-site copy; the store's keys never shown; wrong keys refused in one sentence and, when
// the store stops accepting them, the local backup kept; hostile targets refused before anything is stored.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { startPlatform, type Platform } from '../../helpers/platform.js';
import { startS3Server, type S3Server } from '../../helpers/s3-server.js';
import { until } from '../../helpers/until.js';
import { ybAs } from '../auth/as-user.js';

const SVC = 'vault-cache';
const BUCKET = 'yb-offsite';
const PREFIX = 'prod/eu';
let p: Platform;
let s3: S3Server;
let secretFile: string;
let password: string;

interface Plan {
  schedule: string | null;
  keep: number;
  next: string | null;
  offsite: { endpoint: string; region: string; to: string } | null;
  runs: {
    last?: { trigger: string; startedAt: string; status: string; backup?: string; offsite?: string; error?: string };
    missed?: { count: number; last: string };
  };
}
interface Listed {
  id: string;
  file: string;
  local: boolean;
  offsite: boolean;
}

before(async () => {
  s3 = await startS3Server({ access: 'yb-test-access', secret: randomBytes(24).toString('base64url') });
  s3.bucket(BUCKET);
  // Loopback endpoints only because the test's store is on loopback (the outbound guard's existing switch).
  p = await startPlatform({ YB_OUTBOUND_PRIVATE: 'true' });
  secretFile = join(mkdtempSync(join(tmpdir(), 'yb-s3-keys-')), 's3-secret'); // outside the data dir, so no platform backup holds it
  writeFileSync(secretFile, `${s3.secret}\n`, { mode: 0o600 });
  await p.yb(['services:create', 'redis', SVC]);
  password = (JSON.parse((await p.yb(['services:info', SVC, '--json'])).stdout) as { connection: { password: string } }).connection.password;
});

after(async () => {
  if (p && p.child.exitCode !== null) process.stdout.write(`# ybd exited (${p.child.exitCode}):\n${p.output().split('\n').slice(-40).join('\n')}\n`);
  await p?.stop();
  await p?.probe.removeVolumes();
  await s3?.stop();
  if (secretFile) rmSync(join(secretFile, '..'), { recursive: true, force: true });
  rmSync(join(tmpdir(), `yb-wrong-secret-${process.pid}`), { force: true });
});

async function redis(...args: string[]): Promise<string> {
  const [proc] = (await p.probe.processes({ service: SVC })).filter((c) => c.running);
  assert.ok(proc, 'the redis container runs');
  return (await p.probe.exec(proc.id, ['redis-cli', '-a', password, '--no-auth-warning', ...args])).trim();
}

const plan = async () => (JSON.parse((await p.yb(['services:info', SVC, '--json'])).stdout) as { backups: Plan }).backups;
const listed = async () => JSON.parse((await p.yb(['services:backups', SVC, '--json'])).stdout) as Listed[];
const storeFiles = () => {
  const dir = join(s3.dataDir, BUCKET, ...PREFIX.split('/'), SVC);
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => !f.startsWith('.'))
        .sort()
    : [];
};
const localFiles = () =>
  readdirSync(join(p.dataDir, 'backups', SVC))
    .filter((f) => !f.startsWith('.'))
    .sort();
const remote = (extra: string[], secret = secretFile) =>
  p.yb(['services:backups:remote', SVC, ...extra, '--endpoint', s3.url, '--access-key', s3.access, '--secret-file', secret], { allowFail: true });

async function api(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; json: { id?: string } & Record<string, unknown> }> {
  const r = await fetch(`${p.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, json: (await r.json()) as { id?: string } };
}

test("the routes' authorisation: a viewer of the service's team is refused, another team's member finds nothing", async () => {
  const user = async (name: string) => (await api('POST', '/users', p.token, { name })).json.token as string;
  const viewer = await user('vera');
  const outsider = await user('xavier');
  assert.ok((await api('POST', '/teams/main/members', p.token, { user: 'vera', role: 'viewer' })).status < 300);
  const remoteBody = { to: `s3://${BUCKET}/x`, endpoint: s3.url, accessKeyId: s3.access, secretAccessKey: s3.secret };
  const routes: Array<[string, string, unknown?]> = [
    ['GET', `/services/${SVC}/backups/plan`],
    ['GET', `/services/${SVC}/backups`],
    ['POST', `/services/${SVC}/backups`],
    ['PUT', `/services/${SVC}/backups/schedule`, { schedule: '* * * * *', keep: 1 }],
    ['DELETE', `/services/${SVC}/backups/schedule`],
    ['PUT', `/services/${SVC}/backups/remote`, remoteBody],
    ['DELETE', `/services/${SVC}/backups/remote`],
    ['POST', `/services/${SVC}/backups/20260101T000000Z-abcd/restore`],
  ];
  for (const [method, path, body] of routes) {
    const v = await api(method, path, viewer, body);
    assert.equal(v.status, 403, `${method} ${path} as a viewer: ${JSON.stringify(v.json)}`);
    assert.equal(v.json.id, 'forbidden');
    const o = await api(method, path, outsider, body);
    assert.equal(o.status, 404, `${method} ${path} as another team's member: ${JSON.stringify(o.json)}`);
    assert.equal(o.json.id, 'not_found');
  }
  const info = await plan();
  assert.equal(info.schedule, null);
  assert.equal(info.offsite, null);
  assert.deepEqual(await listed(), [], 'no backup was made');
});

test('hostile or malformed targets are refused in one sentence and nothing is kept', async () => {
  for (const to of [
    's3://../x',
    `s3://${BUCKET}/../../etc`,
    `s3://${BUCKET}/a/../../b`,
    `s3://${BUCKET}/${'p'.repeat(300)}`,
    `s3://${BUCKET}//x`,
    's3://Bad_Bucket/x',
  ]) {
    const r = await remote([to]);
    assert.equal(r.code, 2, `${to}: ${r.stderr}`);
    assert.match(r.stderr, /is not an off-site target/);
  }
  const r = await p.yb(['services:backups:schedule', SVC, '* * * * *', '--keep', '2', '--to', `s3://${BUCKET}/../up`], { allowFail: true });
  assert.equal(r.code, 2, r.stderr);
  const bad = await p.yb(['services:backups:schedule', SVC, '61 * * * *', '--keep', '2'], { allowFail: true });
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /minute 61 is outside 0-59/);
  const info = await plan();
  assert.equal(info.schedule, null);
  assert.equal(info.offsite, null);
});

test('wrong keys are refused when the store is set, in one sentence naming the store and the fix; nothing is kept', async () => {
  const wrong = join(tmpdir(), `yb-wrong-secret-${process.pid}`);
  writeFileSync(wrong, 'definitely-not-the-secret\n');
  const r = await remote([`s3://${BUCKET}/${PREFIX}`], wrong);
  assert.equal(r.code, 11, r.stderr);
  assert.match(r.stderr, /SignatureDoesNotMatch/);
  assert.match(r.stderr, /check the access key and secret/);
  assert.ok(!r.stderr.includes('definitely-not-the-secret'));
  assert.equal((await plan()).offsite, null);
  // A store the platform may not reach (link-local: cloud metadata) is refused by the outbound guard, loopback allowed or not.
  const meta = await p.yb(
    ['services:backups:remote', SVC, `s3://${BUCKET}`, '--endpoint', 'http://169.254.169.254', '--access-key', 'k', '--secret-file', secretFile],
    { allowFail: true },
  );
  assert.equal(meta.code, 11, meta.stderr);
  assert.match(meta.stderr, /link-local/);
});

test('a schedule every minute backs up and copies off-site; keep=2 prunes here and in the store; the keys are never shown', async () => {
  await redis('SET', 'greeting', 'before');
  // The secret on stdin, the default way (never a flag: other users of the host can read argv).
  const set = await ybAs(p, p.token, ['services:backups:remote', SVC, `s3://${BUCKET}/${PREFIX}`, '--endpoint', s3.url, '--access-key', s3.access], {
    input: `${s3.secret}\n`,
  });
  assert.equal(set.code, 0, set.stderr);
  await p.yb(['services:backups:schedule', SVC, '* * * * *', '--keep', '2']);
  const info = await plan();
  assert.equal(info.schedule, '* * * * *');
  assert.equal(info.keep, 2);
  assert.equal(info.offsite?.to, `s3://${BUCKET}/${PREFIX}`);
  assert.ok(info.next);

  // The scheduler's run at the start of the next minute (at most ~60 s away, plus the dump and the copy).
  const started = Date.now();
  const run = await until(
    'a scheduled backup run',
    async () => {
      const last = (await plan()).runs.last;
      return last?.status === 'succeeded' ? last : undefined;
    },
    150_000,
  );
  process.stdout.write(`# first scheduled backup finished ${((Date.now() - started) / 1000).toFixed(1)} s after the schedule was set\n`);
  assert.equal(run.trigger, 'schedule');
  assert.equal(run.offsite, 'copied');
  assert.deepEqual(storeFiles(), [`${run.backup}.rdb`], 'the copy is an object of the S3 server');

  // No more runs while the rest is checked: a schedule far away, with the same retention.
  await p.yb(['services:backups:schedule', SVC, '0 0 1 1 *', '--keep', '2']);
  const manual: string[] = [];
  for (let i = 0; i < 2; i++) manual.push((JSON.parse((await p.yb(['services:backup', SVC, '--json'])).stdout) as { id: string }).id);
  assert.deepEqual(localFiles(), manual.map((id) => `${id}.rdb`).sort(), 'keep=2 here');
  assert.deepEqual(storeFiles(), manual.map((id) => `${id}.rdb`).sort(), 'keep=2 in the store');
  const list = await listed();
  assert.deepEqual(
    list.map((b) => [b.id, b.local, b.offsite]),
    manual.map((id) => [id, true, true]),
  );

  // The store's keys: never in an answer, the CLI's output, ybd's log, or etcd in plaintext.
  const shown = [
    (await p.yb(['services:info', SVC, '--json'])).stdout,
    (await p.yb(['services:info', SVC])).stdout,
    (await p.yb(['services:backups', SVC])).stdout,
    (await p.yb(['events', '--json', '-n', '200'])).stdout,
    p.output(),
  ].join('\n');
  assert.ok(!shown.includes(s3.secret), 'the secret is never shown');

  // Each run is recorded as an event.
  const events = JSON.parse((await p.yb(['events', '--json', '-n', '200'])).stdout) as Array<{
    action: string;
    user: string;
    detail?: Record<string, unknown>;
  }>;
  const backups = events.filter((e) => e.action === 'service.backup' && e.detail?.service === SVC);
  assert.ok(backups.some((e) => e.detail?.trigger === 'schedule' && e.user === 'yb-scheduler' && e.detail?.offsite === 'copied'));
  assert.equal(backups.filter((e) => e.detail?.trigger === 'manual').length, 2);
  const text = (await p.yb(['services:info', SVC])).stdout;
  assert.match(text, /Backups\s+"0 0 1 1 \*" \(UTC\), keeping 2.*copied to s3:\/\/yb-offsite\/prod\/eu/);
});

test('the local file deleted, a restore fetches the off-site copy and brings the data back', async () => {
  const [older, newest] = (await listed()).map((b) => b.id);
  assert.ok(older && newest);
  await redis('SET', 'greeting', 'after');
  rmSync(join(p.dataDir, 'backups', SVC, `${newest}.rdb`));
  const list = await listed();
  assert.deepEqual(
    list.map((b) => [b.id, b.local, b.offsite]),
    [
      [older, true, true],
      [newest, false, true],
    ],
  );
  const r = await p.yb(['services:backups:restore', SVC, newest!, '--confirm', SVC]);
  assert.match(r.stdout + r.stderr, /off-site copy/);
  assert.equal(await redis('GET', 'greeting'), 'before');
  assert.ok(localFiles().includes(`${newest}.rdb`), 'the fetched copy is kept here again');
  const missing = await p.yb(['services:backups:restore', SVC, '20200101T000000Z-0000', '--confirm', SVC], { allowFail: true });
  assert.equal(missing.code, 4, missing.stderr);
  assert.match(missing.stderr, /neither here nor in s3:\/\/yb-offsite\/prod\/eu/);
});

test('a store that stops accepting the keys: the backup is kept here and the failure said in one sentence', async () => {
  await s3.restart({ access: s3.access, secret: 'rotated-by-the-store-owner' });
  try {
    const before = localFiles();
    const r = await p.yb(['services:backup', SVC], { allowFail: true });
    assert.equal(r.code, 11, r.stderr);
    assert.match(r.stderr, /was kept here, but copying .* to s3:\/\/yb-offsite\/prod\/eu failed: the S3 store answered 403 SignatureDoesNotMatch/);
    const id = /(\d{8}T\d{6}Z-[0-9a-f]{4}) was kept here/.exec(r.stderr)?.[1];
    assert.ok(id && localFiles().includes(`${id}.rdb`), 'the new backup is here');
    assert.ok(
      before.every((f) => localFiles().includes(f)),
      'a failed copy prunes nothing here',
    );
    const list = await p.yb(['services:backups', SVC]);
    assert.match(list.stdout, /Off-site copies not listed: .*SignatureDoesNotMatch/);
  } finally {
    await s3.restart({ access: s3.access, secret: s3.secret });
  }
});

test('runs that fall while ybd is down are reported after its start, not run late', async () => {
  const set = Date.now();
  await p.yb(['services:backups:schedule', SVC, '* * * * *', '--keep', '2']);
  // A tick (which records its minute) and its run, then ybd dies before the next minute and starts after it.
  await until(
    'a scheduled run after the schedule was set',
    async () => {
      const last = (await plan()).runs.last;
      return last?.status === 'succeeded' && Date.parse(last.startedAt) > set;
    },
    150_000,
  );
  p.kill9();
  await new Promise((r) => p.child.once('exit', r));
  const boundary = Math.floor(Date.now() / 60_000) * 60_000 + 60_000;
  await until('the next minute to begin while ybd is down', () => Date.now() > boundary + 2_000, 70_000);
  const restartAt = Date.now();
  await p.restart();
  const info = await plan();
  assert.ok(info.runs.missed && info.runs.missed.count >= 1, JSON.stringify(info.runs));
  assert.ok(Date.parse(info.runs.missed.last) >= boundary);
  const events = JSON.parse((await p.yb(['events', '--json', '-n', '200'])).stdout) as Array<{ action: string; detail?: Record<string, unknown> }>;
  assert.ok(events.some((e) => e.action === 'service.backup.missed' && e.detail?.service === SVC));
  assert.match((await p.yb(['services:backups', SVC])).stdout, /Missed \d+ scheduled run\(s\) while the platform was down/);
  // The last run is the one before the gap, or a tick after the start: none was started late for the missed minute.
  const last = Date.parse(info.runs.last!.startedAt);
  assert.ok(last < boundary || last >= Math.floor(restartAt / 60_000) * 60_000 + 60_000, `no run started late (${info.runs.last!.startedAt})`);
  await p.yb(['services:backups:schedule', SVC, '0 0 1 1 *', '--keep', '2']);
});

test('--off stops the schedule and forgets the store; copies already there stay', async () => {
  await p.yb(['services:backups:schedule', SVC, '--off']);
  // The platform backup holds etcd's state as stored (and takes a fresh local dump): the keys are sealed there.
  const platformBackup = await fetch(`${p.apiUrl}/admin/backup`, { headers: { authorization: `Bearer ${p.token}` } });
  assert.equal(platformBackup.status, 200);
  assert.ok(!gunzipSync(Buffer.from(await platformBackup.arrayBuffer())).includes(Buffer.from(s3.secret)), 'sealed in etcd');
  await p.yb(['services:backups:remote', SVC, '--off']);
  const info = await plan();
  assert.equal(info.schedule, null);
  assert.equal(info.offsite, null);
  assert.equal(storeFiles().length, 2);
});
