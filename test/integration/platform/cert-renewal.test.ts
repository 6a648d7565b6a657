// Issue #5 (automatic certificates): an ACME certificate close to expiry is renewed by ybd's timer against a real
// ACME CA (Pebble issuing 20-day certificates, inside the 30-day window) over HTTP-01 through the real router; the
// router serves the new one without a restart. With the CA stopped, renewals fail, are logged, shown and retried,
// and the current certificate keeps serving; with the CA back, renewal resumes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { startPlatform, fixtureRepo, git, type Platform } from '../../helpers/platform.js';
import { buildPebble, startPebble, type Pebble } from '../router/tls-pebble.js';
import { freePorts } from '../../helpers/ports.js';
import { eventually as eventuallyWithin, httpsGet as tlsGet } from '../../helpers/tls-client.js';

const HOST = 'renew.localhost';
const VALIDITY_S = 20 * 86_400;

let p: Platform;
let pebble: Pebble | undefined;
let pebblePorts: [number, number, number, number];
let etcd: Etcd3;
let tlsPort: number;

interface StoredCert {
  fingerprint: string;
  notAfter: string;
  source: string;
}

/** One HTTPS request to the router (its certificate is Pebble's, not checked here). */
const httpsGet = (servername: string) => tlsGet(tlsPort, servername, { verify: false });
/** Renewals take a few checks of a second each: waits are a minute long here. */
const eventually = <T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean) => eventuallyWithin(what, probe, ok, 60_000);

const stored = async (): Promise<StoredCert> => JSON.parse((await etcd.get(`${p.env.YB_ETCD_PREFIX ?? '/yunbang/'}certs/${HOST}`).string())!) as StoredCert;

/** ybd's JSON log lines with this message for HOST, from `from` (an offset in its output) on. */
const logLines = (msg: string, from = 0) =>
  p
    .output()
    .slice(from)
    .split('\n')
    .filter((l) => l.includes(`"msg":"${msg}`) && l.includes(`"hostname":"${HOST}"`));

const routerPid = () => readFileSync(join(p.dataDir, 'router.pid'), 'utf8').trim();

async function events(action: string): Promise<Array<{ user: string; action: string; detail: Record<string, unknown> }>> {
  const all = JSON.parse((await p.yb(['events', '-a', 'renew', '-n', '1000', '--json'])).stdout) as Array<{
    user: string;
    action: string;
    detail: Record<string, unknown>;
  }>;
  return all.filter((e) => e.action === action);
}

before(async () => {
  const { moduleDir } = await buildPebble();
  pebblePorts = (await freePorts(4)) as [number, number, number, number];
  // Every certificate is within the 30-day window as soon as it is issued, and ybd checks every second.
  p = await startPlatform({
    YB_ACME_DIRECTORY: `https://localhost:${pebblePorts[0]}/dir`,
    NODE_EXTRA_CA_CERTS: join(moduleDir, 'test/certs/pebble.minica.pem'),
    YB_ACME_RENEW_DAYS: '30',
    YB_ACME_RENEW_INTERVAL: '1',
  });
  tlsPort = Number(p.env.YB_ROUTER_TLS_ADDR!.split(':').pop());
  etcd = new Etcd3({ hosts: `http://127.0.0.1:${p.env.YB_ETCD_PORT}` });
  const repo = await fixtureRepo('node-zero', p.dataDir);
  await p.yb(['apps:create', 'renew']);
  const push = await git(repo, ['push', `http://yb:${p.token}@${new URL(p.apiUrl).host}/git/renew.git`, 'main']);
  assert.equal(push.code, 0, push.output);
  pebble = await startPebble(p.routerPort, pebblePorts, { validitySeconds: VALIDITY_S });
});

after(async () => {
  etcd?.close();
  await p?.stop();
  await pebble?.close();
});

let renewedFingerprint = '';

test('a certificate close to expiry is renewed and served without a router restart', async () => {
  const pid = routerPid();
  const issued = await p.yb(['certs:auto', '-a', 'renew']);
  assert.match(issued.stdout, /renew\.localhost: certificate issued by .*Pebble Intermediate CA.*renews automatically/);
  const first = await eventually(
    'ACME certificate served',
    () => httpsGet(HOST),
    (x) => x.issuer.includes('Pebble'),
  );
  assert.ok(first.notAfter - Date.now() < 21 * 86_400_000, 'Pebble issued a short-lived certificate');

  const renewed = await eventually(
    'renewed certificate served',
    () => httpsGet(HOST),
    (x) => x.serial !== first.serial && x.notAfter > first.notAfter,
  );
  assert.equal(renewed.status, 200);
  assert.equal(renewed.body, 'ok v1', 'the app is served throughout');
  assert.equal(routerPid(), pid, 'the same router process');

  // Renewals go on every second here; the stored record and the served certificate meet on a renewed one.
  const agreed = await eventually(
    'etcd record served',
    async () => ({ rec: await stored(), served: await httpsGet(HOST) }),
    (x) => x.rec.fingerprint === x.served.fingerprint && x.rec.fingerprint !== first.fingerprint,
  );
  assert.equal(agreed.rec.source, 'acme');
  assert.ok(Date.parse(agreed.rec.notAfter) > first.notAfter, 'a later expiry in etcd');
  renewedFingerprint = agreed.rec.fingerprint;

  const line = logLines('ACME certificate renewed')[0];
  assert.ok(line, `a log line says it was renewed:\n${p.output().slice(-3000)}`);
  assert.match(line, /"previousNotAfter":"\d{4}-.*"notAfter":"\d{4}-/);
  const ev = await events('cert.renew');
  assert.ok(ev.length > 0, 'audited');
  assert.equal(ev[0]!.user, '(platform)');
  assert.equal(ev[0]!.detail.hostname, HOST);

  const shown = (await p.yb(['certs', '-a', 'renew'])).stdout;
  assert.match(shown, /renew\.localhost\s+\d{4}-\d\d-\d\d \(19 days\)\s+.*Pebble.*\s+acme\s+auto, due now; renewed \d{4}-\d\d-\d\d/);
  const json = JSON.parse((await p.yb(['certs', '-a', 'renew', '--json'])).stdout) as {
    certificates: Array<{ renewal: { auto: boolean; dueFrom: string; renewedAt?: string } }>;
  };
  assert.equal(json.certificates[0]!.renewal.auto, true);
  assert.ok(json.certificates[0]!.renewal.renewedAt);
});

test('with the CA down, renewal fails, is logged, shown and retried; the current certificate keeps serving', async () => {
  assert.ok(renewedFingerprint, 'needs the previous test');
  const pid = routerPid();
  await pebble!.close();
  pebble = undefined;
  const mark = p.output().length;
  // A renewal in flight when the CA stopped may still end either way: wait for two failed checks after it.
  await eventually(
    'failed renewals',
    async () => logLines('ACME certificate renewal failed', mark).length,
    (n) => n >= 2,
  );
  const kept = await stored();
  const served = await eventually(
    'stored certificate served',
    () => httpsGet(HOST),
    (x) => x.fingerprint === kept.fingerprint,
  );
  assert.equal(served.body, 'ok v1');
  assert.ok(served.notAfter > Date.now(), 'still valid');
  const failures = logLines('ACME certificate renewal failed', mark).length;
  await eventually(
    'retried',
    async () => logLines('ACME certificate renewal failed', mark).length,
    (n) => n > failures,
  );
  assert.equal((await stored()).fingerprint, kept.fingerprint, 'a failed renewal leaves the record alone');
  assert.equal((await httpsGet(HOST)).fingerprint, kept.fingerprint);
  assert.match(logLines('ACME certificate renewal failed', mark)[0]!, /ECONNREFUSED|fetch failed/);

  assert.equal(p.child.exitCode, null, 'ybd is still running');
  assert.equal(routerPid(), pid);
  assert.equal((await events('cert.renew-failed')).length, 1, 'one audit event per run of failures, not one per check');
  assert.match((await p.yb(['certs', '-a', 'renew'])).stdout, /auto; failed \d{4}-\d\d-\d\d \d\d:\d\d: .*\(retrying\)/);

  pebble = await startPebble(p.routerPort, pebblePorts, { validitySeconds: VALIDITY_S });
  const back = await eventually(
    'renewed again once the CA is back',
    () => httpsGet(HOST),
    (x) => x.fingerprint !== kept.fingerprint && x.issuer.includes('Pebble'),
  );
  assert.equal(back.body, 'ok v1');
  await eventually(
    'failure no longer shown',
    async () => (await p.yb(['certs', '-a', 'renew'])).stdout,
    (s) => /auto, due now; renewed/.test(s),
  );
});
