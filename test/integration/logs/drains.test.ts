// Issue #8, drains and metrics against the real platform: syslog over TCP and TLS and HTTPS (logplex) drains
// receive the app's lines (a local TCP server, and local TLS/HTTPS servers with a self-signed certificate the
// platform trusts through NODE_EXTRA_CA_CERTS); a drain that is down buffers only the newest lines and reports
// the loss; yb metrics summarises the router's counters; /metrics serves the control plane's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createNetServer, type Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { createServer as createHttpsServer } from 'node:https';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startPlatform, type Platform } from '../../helpers/platform.js';
import { freePorts } from '../../helpers/ports.js';
import { parseFrames, parseDrainUrl } from '../../../src/logs/drains/syslog-frame.js';
import { Drain } from '../../../src/logs/drains/drain.js';

const run = promisify(execFile);
const APP = 'drainapp';
let p: Platform;
let certDir: string;
const servers: Array<{ close(): void }> = [];

/** Collects syslog messages arriving on a stream server (TCP or TLS). */
function syslogCollector(make: (onConn: (s: import('node:net').Socket) => void) => Server): { messages: string[]; listen(port?: number): Promise<number> } {
  const messages: string[] = [];
  const server = make((sock) => {
    let buf = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => {
      const r = parseFrames(Buffer.concat([buf, d]));
      messages.push(...r.messages);
      buf = Buffer.from(r.rest);
    });
    sock.on('error', () => undefined);
  });
  servers.push(server);
  return {
    messages,
    listen: (port = 0) => new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve((server.address() as { port: number }).port))),
  };
}

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface DrainView {
  id: string;
  url: string;
  connected: boolean;
  queued: number;
  dropped: number;
  delivered: number;
}
const drains = async () => JSON.parse((await p.yb(['drains', '-a', APP, '--json'])).stdout) as DrainView[];

before(async () => {
  certDir = mkdtempSync(join(tmpdir(), 'yb-drain-cert-'));
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    join(certDir, 'key.pem'),
    '-out',
    join(certDir, 'cert.pem'),
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  ]);
  // The collectors below listen on 127.0.0.1: loopback, which drains may reach only with YB_OUTBOUND_PRIVATE.
  p = await startPlatform({ NODE_EXTRA_CA_CERTS: join(certDir, 'cert.pem'), YB_LOG_DRAIN_BUFFER: '5', YB_METRICS_INTERVAL: '1', YB_OUTBOUND_PRIVATE: 'true' });
  await p.yb(['apps:create', APP, '--no-remote']);
});

after(async () => {
  for (const s of servers) s.close();
  await p?.stop();
  rmSync(certDir, { recursive: true, force: true });
});

test("syslog over TCP and TLS and HTTPS drains receive the app's lines", async () => {
  const tls = { key: readFileSync(join(certDir, 'key.pem')), cert: readFileSync(join(certDir, 'cert.pem')) };
  const tcp = syslogCollector((on) => createNetServer(on));
  const tlsC = syslogCollector((on) => createTlsServer(tls, on) as unknown as Server);
  const posts: Array<{ headers: Record<string, unknown>; body: string }> = [];
  const https = createHttpsServer(tls, (req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      posts.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  servers.push(https);
  const httpsPort = await new Promise<number>((r) => https.listen(0, '127.0.0.1', () => r((https.address() as { port: number }).port)));
  const urls = [`syslog+tcp://127.0.0.1:${await tcp.listen()}`, `syslog+tls://127.0.0.1:${await tlsC.listen()}`, `https://127.0.0.1:${httpsPort}/logs`];
  for (const url of urls) assert.match((await p.yb(['drains:add', url, '-a', APP])).stdout, /Successfully added drain/);
  const dup = await p.yb(['drains:add', urls[0]!, '-a', APP], { allowFail: true });
  assert.equal(dup.code, 5, 'the same URL twice is a conflict');
  const bad = await p.yb(['drains:add', 'http://127.0.0.1:1/x', '-a', APP], { allowFail: true });
  assert.equal(bad.code, 2);

  const line = (m: string) => /^<190>1 \d{4}-\d\d-\d\dT[\d:.]+Z drainapp router - - - method=GET path=\/to-drains /.test(m);
  await until('a request reaches every drain', async () => {
    await p.fetchApp(`${APP}.localhost`, '/to-drains');
    return tcp.messages.some(line) && tlsC.messages.some(line) && posts.some((x) => parseFrames(Buffer.from(x.body)).messages.some(line));
  });
  const post = posts.find((x) => parseFrames(Buffer.from(x.body)).messages.some(line))!;
  assert.equal(post.headers['content-type'], 'application/logplex-1');
  assert.equal(Number(post.headers['logplex-msg-count']), parseFrames(Buffer.from(post.body)).messages.length);
  assert.match(String(post.headers['logplex-drain-token']), /^d\.[0-9a-f]{24}$/);

  const list = await drains();
  assert.deepEqual(list.map((d) => d.url).sort(), [...urls].sort());
  assert.ok(
    list.every((d) => d.connected && d.delivered > 0),
    JSON.stringify(list),
  );
  for (const url of urls) await p.yb(['drains:remove', url, '-a', APP]);
  assert.deepEqual(await drains(), []);
  assert.match((await p.yb(['drains', '-a', APP])).stdout, /has no log drains/);
});

test('a drain that is down keeps only the newest lines and reports the loss once it is back', async () => {
  const [port] = await freePorts(1);
  await p.yb(['drains:add', `syslog+tcp://127.0.0.1:${port}`, '-a', APP]);
  for (let i = 0; i < 12; i++) await p.fetchApp(`${APP}.localhost`, `/buffered-${i}`);
  const down = await until('the drain to fill its buffer', async () => {
    const d = (await drains())[0]!;
    return d.dropped >= 7 ? d : undefined;
  });
  assert.equal(down.connected, false);
  assert.ok(down.queued <= 5);
  const late = syslogCollector((on) => createNetServer(on));
  await late.listen(port);
  await until('the buffered lines', () => late.messages.some((m) => /path=\/buffered-11 /.test(m)), 45_000);
  assert.ok(
    late.messages.some((m) => /yb drain - - Error L10 \(drain buffer overflow\): \d+ lines were dropped/.test(m)),
    late.messages.join('\n'),
  );
  assert.ok(!late.messages.some((m) => /path=\/buffered-0 /.test(m)), 'the oldest lines were dropped');
});

test("yb metrics summarises the last hour from the router; /metrics serves the control plane's", async () => {
  for (let i = 0; i < 5; i++) await p.fetchApp(`${APP}.localhost`, '/m');
  const s = await until('requests in the summary', async () => {
    const j = JSON.parse((await p.yb(['metrics', '-a', APP, '--json'])).stdout) as {
      requests: number;
      errorRate: number;
      byClass: Record<string, number>;
      p50Ms: number | null;
    };
    return j.requests >= 5 ? j : undefined;
  });
  assert.ok((s.byClass['5xx'] ?? 0) >= 5, 'an app without a release answers 503');
  assert.ok(s.errorRate > 0.5);
  assert.ok(s.p50Ms !== null);
  assert.match((await p.yb(['metrics', '-a', APP])).stdout, /REQUESTS +ERRORS \(5xx\)/);
  const res = await fetch(`${p.apiUrl}/metrics`, { headers: { authorization: `Bearer ${p.token}` } });
  assert.equal(res.status, 200);
  const text = await res.text();
  for (const name of [
    'yb_build_queue_length',
    'yb_deploys_in_progress',
    'yb_deploy_duration_seconds',
    'yb_build_duration_seconds',
    'yb_log_lines_total{source="router"}',
  ])
    assert.ok(text.includes(name), name);
  assert.equal((await fetch(`${p.apiUrl}/metrics`)).status, 401);
});

test('by default a drain does not connect to loopback or private hosts (names or literals)', async () => {
  const tcp = syslogCollector((on) => createNetServer(on));
  const port = await tcp.listen();
  for (const url of [`syslog+tcp://127.0.0.1:${port}`, `syslog+tcp://localhost:${port}`, `https://127.0.0.1:${port}/logs`]) {
    const parsed = parseDrainUrl(url);
    assert.ok(!('error' in parsed));
    const d = new Drain({ id: 'x', app: 'guarded', url, token: 't', createdAt: '' }, parsed.kind, parsed.url, 10, false);
    d.push([{ t: new Date().toISOString(), s: 'app', p: 'web.1', m: 'must not arrive' }]);
    const deadline = Date.now() + 5000;
    while (!d.status().lastError && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    d.close();
    assert.match(d.status().lastError ?? '', /is a loopback address, which the platform does not connect to for users; set YB_OUTBOUND_PRIVATE=true/, url);
  }
  assert.deepEqual(tcp.messages, [], 'nothing reached the collector');
});
