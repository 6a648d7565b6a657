// HTTP/2 through the router's core-API path (h2-exchange.ts) against real etcd, real upstreams, real certificates
// and Node's own HTTP/2 client (plus nghttp2's h2load): headers both ways, bodies both ways with flow control,
// HEAD, 1xx, chunked upstream responses, error pages, the access log and metrics, resets from either side, and the
// attacks (resets in a loop, huge header lists, a slow reader of a large body).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connect as http2Connect, constants, type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import pino from 'pino';
import {
  startEtcd,
  startUpstream,
  testOptions,
  uniquePrefix,
  putRoute,
  putEndpoint,
  freePort,
  type Etcd,
  type Upstream,
  putCert as putCertRecord,
} from './harness.js';
import { createTestPki, type Leaf, type TestPki } from './tls-pki.js';
import { until } from '../../helpers/until.js';
import { keys } from '../../../src/store/keys.js';
import { loadSecretBox, type SecretBox } from '../../../src/auth/secrets.js';
import { acmeChallengeKey } from '../../../src/router/acme-challenges.js';
import { AccessLines } from '../../../src/router/access-log.js';
import { startRouter, type RunningRouter } from '../../../src/router/router.js';

const HOST = 'app.h2.example.test';
let etcd: Etcd;
let pki: TestPki;
let box: SecretBox;
let dataDir: string;
let leaf: Leaf;
let upstream: Upstream;
let router: RunningRouter;
let tlsPort: number;
let session: ClientHttp2Session;
const prefix = uniquePrefix();
const accessLines: Array<Record<string, unknown>> = [];
/** Upstream connections the router opened, and those closed since. */
const upstreamSockets = new Set<Socket>();
let upstreamClosed = 0;

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
/** Per-path upstream behaviour (the default echoes what the upstream saw as JSON). */
const routes = new Map<string, Handler>();

function echo(req: IncomingMessage, res: ServerResponse): void {
  const hash = createHash('sha256');
  let size = 0;
  req.on('data', (d: Buffer) => (hash.update(d), (size += d.length)));
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        method: req.method,
        url: req.url,
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        size,
        sha: hash.digest('hex'),
        port: req.socket.remotePort,
      }),
    );
  });
}

function putCert(hostname: string, l: Leaf): Promise<number> {
  return putCertRecord(etcd.client, prefix, box, { app: 'h2', hostname, chain: l.cert, key: l.key, issuer: 'Yunbang Test CA' });
}

before(async () => {
  etcd = await startEtcd();
  pki = await createTestPki();
  dataDir = mkdtempSync(join(tmpdir(), 'yb-router-h2-'));
  box = await loadSecretBox(dataDir);
  upstream = await startUpstream('h2', (req, res) => (routes.get(new URL(req.url!, 'http://x').pathname) ?? echo)(req, res));
  upstream.server.on('connection', (s: Socket) => {
    upstreamSockets.add(s);
    s.once('close', () => upstreamClosed++);
  });
  leaf = await pki.leaf(['*.h2.example.test']);
  await putRoute(etcd.client, prefix, HOST, 'h2app');
  await etcd.client
    .put(keys(prefix).route('forced.h2.example.test'))
    .value(JSON.stringify({ app: 'h2app', httpsOnly: true }))
    .exec();
  await putRoute(etcd.client, prefix, 'empty.h2.example.test', 'empty');
  await putRoute(etcd.client, prefix, 'dead.h2.example.test', 'dead');
  await putEndpoint(etcd.client, prefix, 'dead', 'web.1', await freePort()); // nothing listens there
  await putEndpoint(etcd.client, prefix, 'h2app', 'web.1', upstream.port);
  await putCert('*.h2.example.test', leaf);
  const lines = new AccessLines((bytes) => {
    for (const line of bytes.toString().split('\n')) if (line) accessLines.push(JSON.parse(line) as Record<string, unknown>);
  }, 1);
  const opts = testOptions(etcd.etcd.endpoint, prefix, {
    tlsListen: { host: '127.0.0.1', port: 0 },
    dataDir,
    http2: true,
    accessLogSample: 1,
    headersTimeoutMs: 1500,
    logLevel: 'info',
  });
  router = await startRouter(opts, pino({ level: 'info' }, pino.destination('/dev/null')), lines);
  tlsPort = router.addresses().https!.port;
  const r = await etcd.client.put(acmeChallengeKey(prefix, 'tok-h2')).value(JSON.stringify('tok-h2.thumb')).exec();
  await router.waitPublished(Number(r.header.revision));
  session = connect();
});

after(async () => {
  session?.destroy();
  await router?.close();
  await upstream?.close();
  await etcd?.close();
  pki?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

function connect(): ClientHttp2Session {
  const s = http2Connect(`https://127.0.0.1:${tlsPort}`, { servername: HOST, ca: pki.ca });
  s.on('error', () => undefined); // failures surface through the requests
  return s;
}

interface Answer {
  status: number;
  head: IncomingHttpHeaders;
  informational: IncomingHttpHeaders[];
  body: Buffer;
}

/** One request on `on` (the shared session by default); resolves with the whole answer, rejects on a stream error. */
function ask(headers: OutgoingHttpHeaders, body?: Buffer | string, on = session): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const stream = on.request({ ':authority': HOST, ...headers }, { endStream: body === undefined });
    let head: IncomingHttpHeaders = {};
    const informational: IncomingHttpHeaders[] = [];
    const parts: Buffer[] = [];
    stream.on('headers', (h) => informational.push(h));
    stream.on('response', (h) => (head = h));
    stream.on('data', (d: Buffer) => parts.push(d));
    stream.on('end', () => resolve({ status: Number(head[':status']), head, informational, body: Buffer.concat(parts) }));
    stream.on('error', reject);
    if (body !== undefined) stream.end(body);
  });
}

const json = (a: Answer) => JSON.parse(a.body.toString()) as Record<string, unknown> & { headers: Record<string, string>; rawHeaders: string[] };

test('requests reach the upstream over HTTP/1.1 with Host from :authority, X-Forwarded-*, X-Request-Id; connection headers are dropped', async () => {
  const a = await ask({ ':path': '/p?q=1', 'x-forwarded-for': '203.0.113.9', 'x-request-id': 'req-h2-1', te: 'trailers', cookie: ['a=1', 'b=2'] });
  assert.equal(a.status, 200);
  const seen = json(a);
  assert.equal(seen.url, '/p?q=1');
  assert.equal(seen.headers.host, HOST);
  assert.equal(seen.headers['x-forwarded-for'], '203.0.113.9, 127.0.0.1');
  assert.equal(seen.headers['x-forwarded-proto'], 'https');
  assert.equal(seen.headers['x-forwarded-port'], String(tlsPort));
  assert.equal(seen.headers['x-forwarded-host'], HOST);
  assert.equal(seen.headers['x-request-id'], 'req-h2-1');
  assert.equal(seen.headers.cookie, 'a=1; b=2');
  assert.equal(seen.headers.te, undefined, 'TE is hop-by-hop');
  assert.ok(!seen.rawHeaders.some((h) => h.startsWith(':')), 'no pseudo-header reaches the upstream');
  assert.equal(seen.rawHeaders.filter((h) => h.toLowerCase() === 'host').length, 1);
  const fresh = json(await ask({ ':path': '/' }));
  assert.match(fresh.headers['x-request-id']!, /^[0-9a-f-]{36}$/, 'a request id is made when the client sends none');
  // A forged X-Forwarded-Proto/Port/Host is replaced, not passed on.
  const forged = json(await ask({ ':path': '/', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'evil.test', 'x-forwarded-port': '1' }));
  assert.equal(forged.headers['x-forwarded-proto'], 'https');
  assert.equal(forged.headers['x-forwarded-host'], HOST);
  assert.equal(forged.headers['x-forwarded-port'], String(tlsPort));
});

test('streams are served on the fast path over kept-alive upstream connections', async () => {
  const before = upstreamSockets.size;
  for (let i = 0; i < 10; i++) assert.equal((await ask({ ':path': `/seq/${i}` })).status, 200);
  // The general proxy (undici) would open its own pool; the fast path reuses its one idle connection.
  assert.ok(upstreamSockets.size - before <= 1, `sequential requests share an upstream connection (${upstreamSockets.size - before} new)`);
  const seen = json(await ask({ ':path': '/order' }));
  assert.equal(seen.headers.connection, undefined, 'the head the fast path writes leaves keep-alive implied (undici sends Connection)');
});

test('response headers HTTP/2 forbids are dropped; a chunked upstream body arrives whole, without its framing; Set-Cookie stays repeated', async () => {
  const chunks = Array.from({ length: 50 }, (_, i) => Buffer.alloc(1000 + i, 97 + (i % 26)));
  const whole = Buffer.concat(chunks);
  routes.set('/chunked', (_req, res) => {
    res.writeHead(200, [
      ['connection', 'x-custom'],
      ['keep-alive', 'timeout=5'],
      ['x-custom', 'kept'],
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=2'],
    ] as unknown as Record<string, string>);
    let i = 0;
    const next = () => (i < chunks.length ? res.write(chunks[i++], next) : res.end());
    next();
  });
  const a = await ask({ ':path': '/chunked' });
  assert.equal(a.status, 200);
  assert.equal(a.head.connection, undefined);
  assert.equal(a.head['keep-alive'], undefined);
  assert.equal(a.head['transfer-encoding'], undefined);
  assert.deepEqual(a.head['set-cookie'], ['a=1', 'b=2']);
  assert.equal(a.body.length, whole.length);
  assert.ok(a.body.equals(whole), 'the body without chunk sizes');
});

test('request bodies: with a length, without one (sent chunked), and 8 MB with flow control both ways', async () => {
  const small = await ask({ ':path': '/post', ':method': 'POST', 'content-length': '11' }, 'hello there');
  assert.equal(json(small).size, 11);
  assert.equal(json(small).headers['content-length'], '11');
  const streamed = json(await ask({ ':path': '/post', ':method': 'POST' }, 'no length given'));
  assert.equal(streamed.size, 15);
  assert.equal(streamed.headers['transfer-encoding'], 'chunked');
  const big = Buffer.alloc(8 * 1024 * 1024);
  for (let i = 0; i < big.length; i += 4) big.writeUInt32LE(i, i);
  const seen = json(await ask({ ':path': '/upload', ':method': 'PUT' }, big));
  assert.equal(seen.size, big.length);
  assert.equal(seen.sha, createHash('sha256').update(big).digest('hex'));
});

test('HEAD gets the head with its length and no body; 103 Early Hints reach the client before the response', async () => {
  routes.set('/sized', (_req, res) => {
    res.setHeader('content-length', '5');
    res.end(_req.method === 'HEAD' ? undefined : 'hello');
  });
  const head = await ask({ ':path': '/sized', ':method': 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.head['content-length'], '5');
  assert.equal(head.body.length, 0);
  routes.set('/hints', (_req, res) => {
    res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
    res.end('after hints');
  });
  const hinted = await ask({ ':path': '/hints' });
  assert.equal(hinted.informational[0]?.[':status'], 103);
  assert.equal(hinted.informational[0]?.link, '</style.css>; rel=preload; as=style');
  assert.equal(hinted.body.toString(), 'after hints');
});

test('a 24 MB response arrives whole under HTTP/2 flow control', async () => {
  const block = Buffer.alloc(64 * 1024, 7);
  routes.set('/large', (_req, res) => {
    res.setHeader('content-length', String(block.length * 384));
    let i = 0;
    const pump = () => {
      while (i < 384) {
        i++;
        if (!res.write(block)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  const a = await ask({ ':path': '/large' });
  assert.equal(a.status, 200);
  assert.equal(a.body.length, block.length * 384);
});

test("the router's error pages: 502 for an endpoint that refuses, 503 without endpoints, 504 when headers never come, 404 without a route", async () => {
  const bad = await ask({ ':path': '/', ':authority': 'dead.h2.example.test' });
  assert.equal(bad.status, 502);
  assert.match(bad.body.toString(), /Bad gateway/);
  assert.ok(bad.head['x-request-id']);
  assert.equal((await ask({ ':path': '/', ':authority': 'empty.h2.example.test' })).status, 503);
  assert.equal((await ask({ ':path': '/', ':authority': 'nowhere.example.test' })).status, 404);
  routes.set('/silent', () => undefined); // never answers
  const slow = await ask({ ':path': '/silent' });
  assert.equal(slow.status, 504);
  assert.match(slow.body.toString(), /Gateway timeout/);
  const headSlow = await ask({ ':path': '/silent', ':method': 'HEAD' });
  assert.equal(headSlow.status, 504);
  assert.equal(headSlow.body.length, 0);
});

test('an https-only app is served over HTTP/2; ACME challenge paths go to the general proxy, as before (HTTP-01 is answered on port 80)', async () => {
  assert.equal((await ask({ ':path': '/', ':authority': 'forced.h2.example.test' })).status, 200);
  const acme = await ask({ ':path': '/.well-known/acme-challenge/tok-h2', ':authority': 'forced.h2.example.test', 'x-probe': '1' });
  assert.equal(acme.status, 200);
  const seen = json(acme);
  assert.equal(seen.url, '/.well-known/acme-challenge/tok-h2');
  assert.equal(seen.headers.connection, 'keep-alive', 'served by the general proxy (undici says keep-alive; the fast path leaves it implied)');
});

test('every stream gets an access-log line and is counted in the metrics', async () => {
  await ask({ ':path': '/logged/1', 'x-request-id': 'logged-1' });
  const line = await until('the access line of /logged/1', () => accessLines.find((l) => l.requestId === 'logged-1'));
  assert.equal(line.app, 'h2app');
  assert.equal(line.method, 'GET');
  assert.equal(line.host, HOST);
  assert.equal(line.path, '/logged/1');
  assert.equal(line.status, 200);
  assert.equal(line.upstream, `127.0.0.1:${upstream.port}`);
  const metrics = await (await fetch(`http://127.0.0.1:${router.addresses().admin.port}/metrics`)).text();
  assert.match(metrics, /yb_router_requests_total\{app="h2app",code="2xx"\} \d+/);
  assert.match(metrics, /yb_router_requests_total\{app="dead",code="5xx"\} \d+/);
});

test('a client resetting a stream mid-response: the upstream connection is discarded, not reused, and logged as 499', async () => {
  let upstreamGone = false;
  routes.set('/endless', (req, res) => {
    res.setHeader('content-type', 'text/plain');
    const timer = setInterval(() => res.write('tick\n'), 20);
    res.on('close', () => (clearInterval(timer), (upstreamGone = true)));
    req.resume();
  });
  await new Promise<void>((resolve, reject) => {
    const stream = session.request({ ':authority': HOST, ':path': '/endless', 'x-request-id': 'reset-1' });
    stream.once('data', () => {
      stream.close(constants.NGHTTP2_CANCEL);
      resolve();
    });
    stream.on('error', reject);
  });
  await until('the upstream connection of the reset stream closed', () => upstreamGone);
  const line = await until('the access line of the reset stream', () => accessLines.find((l) => l.requestId === 'reset-1'));
  assert.equal(line.status, 499);
  assert.equal((await ask({ ':path': '/after-reset' })).status, 200, 'the session goes on');
});

test('an upstream dying mid-response resets the stream (RST_STREAM); the session and the router go on', async () => {
  routes.set('/dies', (_req, res) => {
    res.setHeader('content-length', '100000');
    res.write(Buffer.alloc(1000, 1), () => res.socket?.destroy());
  });
  await assert.rejects(ask({ ':path': '/dies' }), (err: NodeJS.ErrnoException) => {
    assert.equal(err.code, 'ERR_HTTP2_STREAM_ERROR');
    assert.match(err.message, /NGHTTP2_INTERNAL_ERROR/);
    return true;
  });
  assert.equal((await ask({ ':path': '/after-death' })).status, 200);
});

test('attack: streams reset in a loop leave no upstream connection behind, and others are served', async () => {
  routes.set('/slowish', (req, res) => {
    req.resume();
    const t = setTimeout(() => res.end('late'), 50);
    res.on('close', () => clearTimeout(t));
  });
  const attacker = connect();
  const openBefore = upstreamSockets.size - upstreamClosed;
  for (let i = 0; i < 500; i++) {
    const s = attacker.request({ ':authority': HOST, ':path': '/slowish' });
    s.on('error', () => undefined);
    s.close(constants.NGHTTP2_CANCEL);
  }
  const other = connect();
  try {
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => ask({ ':path': `/during/${i}` }, undefined, other)));
    assert.ok(answers.every((a) => a.status === 200));
    attacker.destroy();
    // Connections the reset streams opened are closed; at most the idle keep-alive ones of the good requests stay.
    await until('upstream connections of reset streams closed', () => upstreamSockets.size - upstreamClosed <= openBefore + 20);
  } finally {
    attacker.destroy();
    other.close();
  }
});

test('attack: DATA beyond the Content-Length never reaches the upstream as another request', async () => {
  let smuggled = 0;
  routes.set('/smuggled', (req, res) => (smuggled++, req.resume(), res.end('no')));
  const extra = `GET /smuggled HTTP/1.1\r\nhost: ${HOST}\r\n\r\n`;
  const attacker = connect();
  const outcome = await ask({ ':path': '/post', ':method': 'POST', 'content-length': '5' }, `hello${extra}`, attacker).then(
    (a) => a.status,
    (err: NodeJS.ErrnoException) => err.code ?? 'error',
  );
  attacker.destroy();
  assert.notEqual(outcome, 200, 'a body longer than its Content-Length is not served');
  for (let i = 0; i < 5; i++) assert.equal((await ask({ ':path': '/after-smuggle' })).status, 200);
  assert.equal(smuggled, 0, 'the bytes after the declared body were not read as a request');
});

test('attack: a huge header list is refused without harm to other sessions', async () => {
  const victim = connect();
  const big = 'x'.repeat(16 * 1024);
  const headers: OutgoingHttpHeaders = { ':path': '/' };
  for (let i = 0; i < 20; i++) headers[`x-big-${i}`] = big;
  const outcome = await ask(headers, undefined, victim).then(
    (a) => a.status,
    (err: NodeJS.ErrnoException) => err.code ?? 'error',
  );
  assert.notEqual(outcome, 200, 'a 320 KB header list is not forwarded');
  victim.destroy();
  assert.equal((await ask({ ':path': '/after-big-headers' })).status, 200);
});

test('attack: a slow reader of a large body stalls neither other streams nor grows memory; it gets the whole body once it reads', async () => {
  const block = Buffer.alloc(64 * 1024, 3);
  const total = 1024; // 64 MB
  let written = 0;
  let waiting = false;
  routes.set('/huge', (_req, res) => {
    res.setHeader('content-length', String(block.length * total));
    let i = 0;
    const pump = () => {
      waiting = false;
      while (i < total) {
        i++;
        written += block.length;
        if (!res.write(block)) {
          waiting = true;
          return void res.once('drain', pump);
        }
      }
      res.end();
    };
    pump();
  });
  const reader = connect();
  const stream = reader.request({ ':authority': HOST, ':path': '/huge' });
  stream.on('error', () => undefined);
  stream.pause();
  let received = 0;
  await until('the upstream is held back', () => waiting && written > 0);
  // Other streams on the same session and on other sessions are served meanwhile.
  const others = await Promise.all([
    ...Array.from({ length: 10 }, (_, i) => ask({ ':path': `/beside/${i}` }, undefined, reader)),
    ...Array.from({ length: 10 }, (_, i) => ask({ ':path': `/elsewhere/${i}` })),
  ]);
  assert.ok(others.every((a) => a.status === 200));
  const held = written;
  assert.ok(held < 16 * 1024 * 1024, `the upstream wrote ${held} bytes of 64 MB to a reader that reads nothing`);
  const done = new Promise<void>((resolve, reject) => {
    stream.on('data', (d: Buffer) => (received += d.length));
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  stream.resume();
  await done;
  assert.equal(received, block.length * total);
  reader.close();
});

test("h2load (nghttp2's client) gets every response, on one connection and on several", async () => {
  const run = promisify(execFile);
  const file = join(dataDir, 'h2load-body');
  writeFileSync(file, 'body from h2load');
  const { stdout } = await run('/usr/bin/h2load', ['-n', '2000', '-c', '4', '-m', '10', '-H', `:authority: ${HOST}`, `https://127.0.0.1:${tlsPort}/h2load`], {
    timeout: 120_000,
  });
  assert.match(stdout, /requests: 2000 total, 2000 started, 2000 done, 2000 succeeded, 0 failed, 0 errored/);
  assert.match(stdout, /status codes: 2000 2xx/);
  const posted = await run('/usr/bin/h2load', ['-n', '200', '-c', '2', '-d', file, '-H', `:authority: ${HOST}`, `https://127.0.0.1:${tlsPort}/h2load-post`], {
    timeout: 120_000,
  });
  assert.match(posted.stdout, /200 succeeded, 0 failed/);
});
