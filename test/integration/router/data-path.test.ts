// The proxy's data path against real upstreams: failover and ejection, streaming both ways, SSE, upgrades.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import type { Socket } from 'node:net';
import { request } from 'undici';
import { startEtcd, startUpstream, startTestRouter, uniquePrefix, putRoute, putEndpoint, get, type Etcd, type Upstream } from './harness.js';
import type { RunningRouter } from '../../../src/router/router.js';

let etcd: Etcd;
let router: RunningRouter & { url: string };
const ups: Upstream[] = [];
const prefix = uniquePrefix();

async function app(name: string, ...upstreams: Upstream[]): Promise<void> {
  await putRoute(etcd.client, prefix, `${name}.localhost`, name);
  let rev = 0;
  for (const [i, u] of upstreams.entries()) rev = await putEndpoint(etcd.client, prefix, name, `web.${i + 1}`, u.port);
  await router.waitPublished(rev);
}
async function upstream(name: string, handler?: Parameters<typeof startUpstream>[1]): Promise<Upstream> {
  const u = await startUpstream(name, handler);
  ups.push(u);
  return u;
}
async function metrics(): Promise<string> {
  const r = await request(`http://127.0.0.1:${router.addresses().admin.port}/metrics`);
  return r.body.text();
}

before(async () => {
  etcd = await startEtcd();
  router = await startTestRouter(etcd.etcd.endpoint, prefix, { ejectMs: 60_000 });
});
after(async () => {
  await router?.close();
  await Promise.all(ups.map((u) => u.close()));
  await etcd?.close();
});

test('a refused endpoint is retried on another and then ejected (no failed requests)', async () => {
  const good = await upstream('good');
  const dead = await upstream('dead');
  await dead.close();
  await app('failover', dead, good);
  for (let i = 0; i < 10; i++) {
    const r = await get(router.url, 'failover.localhost');
    assert.equal(r.status, 200);
    assert.equal(r.json().name, 'good');
  }
  // A body that was never read can be retried too.
  const post = await request(router.url, { method: 'POST', headers: { host: 'failover.localhost', 'content-type': 'text/plain' }, body: 'hello' });
  assert.equal(post.statusCode, 200);
  await post.body.dump();
  const m = await metrics();
  assert.match(m, /yb_router_upstream_errors_total\{app="failover",kind="connect"\} 1\n/, 'one failure, then the endpoint was ejected');
  assert.match(m, /yb_router_requests_total\{app="failover",code="2xx"\} 11/);
});

test('response bodies stream: the first chunk arrives before the upstream finishes', async () => {
  let finish!: () => void;
  const released = new Promise<void>((r) => (finish = r));
  const u = await upstream('stream', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('first;');
    void released.then(() => res.end('last'));
  });
  await app('stream', u);
  const r = await request(router.url, { headers: { host: 'stream.localhost' } });
  assert.equal(r.headers['transfer-encoding'], 'chunked');
  const chunks: string[] = [];
  for await (const c of r.body) {
    chunks.push(String(c));
    if (chunks.length === 1) finish();
  }
  assert.deepEqual(chunks.join(''), 'first;last');
  assert.equal(chunks[0], 'first;');
});

test('server-sent events are delivered as they are written', async () => {
  const u = await upstream('sse', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write('data: one\n\n');
    res.once('close', () => undefined);
  });
  await app('sse', u);
  const r = await request(router.url, { headers: { host: 'sse.localhost', accept: 'text/event-stream' } });
  assert.equal(r.headers['content-type'], 'text/event-stream');
  const it = r.body[Symbol.asyncIterator]();
  const first = await it.next();
  assert.equal(String(first.value), 'data: one\n\n');
  r.body.destroy();
});

test('request bodies stream: the upstream sees the first part before the client sends the rest', async () => {
  let gotFirst!: () => void;
  const firstSeen = new Promise<void>((r) => (gotFirst = r));
  const u = await upstream('upload', (req, res) => {
    let n = 0;
    req.on('data', (c: Buffer) => {
      if (n === 0) gotFirst();
      n += c.length;
    });
    req.on('end', () => res.end(JSON.stringify({ bytes: n })));
  });
  await app('upload', u);
  const port = new URL(router.url).port;
  const result = new Promise<string>((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method: 'POST', path: '/', headers: { host: 'upload.localhost', 'transfer-encoding': 'chunked' } },
      (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve(body));
      },
    );
    req.on('error', reject);
    req.write(Buffer.alloc(1000, 1));
    void firstSeen.then(() => {
      for (let i = 0; i < 100; i++) req.write(Buffer.alloc(10_000, 2));
      req.end();
    });
  });
  assert.deepEqual(JSON.parse(await result), { bytes: 1000 + 100 * 10_000 });
});

test('upgrade requests (websockets) are passed through both ways', async () => {
  const u = await upstream('ws');
  let upstreamSocketClosed!: () => void;
  const upstreamClosed = new Promise<void>((r) => (upstreamSocketClosed = r));
  u.server.on('upgrade', (req, socket: Socket) => {
    socket.once('close', () => upstreamSocketClosed());
    socket.once('end', () => socket.end()); // as websocket servers do
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${req.headers.upgrade}\r\nConnection: Upgrade\r\nX-Seen-Host: ${req.headers.host}\r\nX-Seen-Rid: ${req.headers['x-request-id'] ?? ''}\r\n\r\n`,
    );
    socket.on('data', (d) => socket.write(`echo:${d}`));
  });
  await app('ws', u);
  const port = new URL(router.url).port;
  const { res, socket } = await new Promise<{ res: import('node:http').IncomingMessage; socket: Socket }>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/chat', headers: { host: 'ws.localhost', connection: 'Upgrade', upgrade: 'websocket' } });
    req.on('upgrade', (res, socket) => resolve({ res, socket }));
    req.on('response', (r) => reject(new Error(`expected an upgrade, got ${r.statusCode}`)));
    req.on('error', reject);
    req.end();
  });
  assert.equal(res.statusCode, 101);
  assert.equal(res.headers['x-seen-host'], 'ws.localhost');
  assert.match(String(res.headers['x-seen-rid']), /^[0-9a-f-]{36}$/);
  const echoed = new Promise<string>((resolve) => socket.once('data', (d) => resolve(String(d))));
  socket.write('ping');
  assert.equal(await echoed, 'echo:ping');
  socket.destroy();
  await upstreamClosed; // the router must not keep the upstream side open
});

test('upgrade to an unknown host is refused with 404', async () => {
  const port = new URL(router.url).port;
  const status = await new Promise<number>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/', headers: { host: 'nowhere.localhost', connection: 'Upgrade', upgrade: 'websocket' } });
    req.on('response', (r) => (r.resume(), resolve(r.statusCode!)));
    req.on('upgrade', () => reject(new Error('unexpected upgrade')));
    req.on('error', reject);
    req.end();
  });
  assert.equal(status, 404);
});

test('a client that goes away aborts the upstream request', async () => {
  let upstreamClosed!: () => void;
  const closed = new Promise<void>((r) => (upstreamClosed = r));
  let started!: () => void;
  const begun = new Promise<void>((r) => (started = r));
  const u = await upstream('abort', (_req, res) => {
    res.writeHead(200);
    res.write('x');
    started();
    res.once('close', () => upstreamClosed());
  });
  await app('abort', u);
  const r = await request(router.url, { headers: { host: 'abort.localhost' } });
  await begun;
  r.body.destroy();
  await closed; // would hang (test timeout) if the router kept the upstream request open
});
