// The fast path's inactivity limits (idle-clock.ts) against real sockets: idle and half-sent client connections are
// closed after the keep-alive time and busy ones are not; an upstream that never accepts gives 504 after the
// connect timeout; one silent before its response head gives 504 after the headers timeout, one silent inside a
// body does not unless a body timeout is set.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { startEtcd, startTestRouter, uniquePrefix, putRoute, putEndpoint, type Etcd } from './harness.js';
import type { RunningRouter } from '../../../src/router/router.js';

const KEEP_ALIVE_MS = 400;
const HEADERS_MS = 300;
const BODY_MS = 500;
const CONNECT_MS = 600;

let etcd: Etcd;
let router: RunningRouter & { url: string };
let bodyLimited: RunningRouter & { url: string };
const prefix = uniquePrefix();
const raws: TcpServer[] = [];
const children: ChildProcess[] = [];

/**
 * A port whose connection attempts go unanswered: a listener (python3, since node accepts every connection) with
 * a backlog of one that never accepts, its queue filled first; Linux then drops further SYNs.
 */
async function blackHole(): Promise<number> {
  const code = 'import socket,sys,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(120)';
  const child = spawn('python3', ['-c', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  const port = Number(line.toString().trim());
  // Fill the accept queue: connections that complete without being accepted, until one no longer does.
  for (let i = 0; i < 8; i++) {
    const s = connect({ host: '127.0.0.1', port });
    s.on('error', () => undefined);
    const ok = await Promise.race([once(s, 'connect').then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 300))]);
    if (!ok) {
      s.destroy();
      return port;
    }
  }
  throw new Error('the listener kept accepting connections');
}

/** An upstream that sends `parts` (bytes, or a pause in ms) on each connection once a request head is in. */
async function scripted(parts: (string | number)[]): Promise<number> {
  const server = createTcpServer((s) => {
    let got = '';
    s.on('data', async (d) => {
      got += d.toString('latin1');
      if (!got.includes('\r\n\r\n')) return;
      got = '';
      for (const p of parts) {
        if (typeof p === 'number') await new Promise((r) => setTimeout(r, p));
        else if (!s.destroyed) s.write(p);
      }
    });
    s.on('error', () => s.destroy());
  });
  raws.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

async function app(name: string, upstreamPort: number): Promise<void> {
  await putRoute(etcd.client, prefix, `${name}.localhost`, name);
  const rev = await putEndpoint(etcd.client, prefix, name, 'web.1', upstreamPort);
  await Promise.all([router.waitPublished(rev), bodyLimited.waitPublished(rev)]);
}

interface Client {
  socket: Socket;
  text(): string;
  /** Milliseconds from opening until the connection closed. */
  closedAfter: Promise<number>;
  /** Milliseconds from opening until what arrived satisfies `done` (polled, at most 5 s). */
  until(done: (text: string) => boolean): Promise<number>;
}

/** A connection to `url`'s port that records what arrives and when. */
function client(url: string): Client {
  const since = performance.now();
  const socket = connect({ host: '127.0.0.1', port: Number(new URL(url).port) });
  let text = '';
  socket.on('data', (d) => (text += d.toString('latin1')));
  socket.on('error', () => undefined);
  const closedAfter = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => (socket.destroy(), reject(new Error(`still open after 5 s; got ${JSON.stringify(text)}`))), 5000);
    socket.on('close', () => (clearTimeout(timer), resolve(performance.now() - since)));
  });
  closedAfter.catch(() => undefined); // awaited by the tests that expect a close
  const until = async (done: (text: string) => boolean) => {
    while (!done(text) && performance.now() - since < 5000) await new Promise((r) => setTimeout(r, 10));
    return performance.now() - since;
  };
  return { socket, text: () => text, closedAfter, until };
}

before(async () => {
  etcd = await startEtcd();
  const over = { clientKeepAliveMs: KEEP_ALIVE_MS, headersTimeoutMs: HEADERS_MS, connectTimeoutMs: CONNECT_MS };
  router = await startTestRouter(etcd.etcd.endpoint, prefix, over);
  bodyLimited = await startTestRouter(etcd.etcd.endpoint, prefix, { ...over, headersTimeoutMs: 5000, bodyTimeoutMs: BODY_MS });
});
after(async () => {
  await router?.close();
  await bodyLimited?.close();
  for (const s of raws) s.close();
  for (const c of children) c.kill();
  await etcd?.close();
});

test('an idle client connection is closed after the keep-alive time, not before', async () => {
  const c = client(router.url);
  const closed = await c.closedAfter;
  assert.ok(closed >= KEEP_ALIVE_MS - 5 && closed < KEEP_ALIVE_MS + 1500, `closed after ${closed} ms`);
});

test('a request head that stops half-way is closed after the keep-alive time', async () => {
  const c = client(router.url);
  c.socket.write('GET / HTTP/1.1\r\nHost: x');
  const closed = await c.closedAfter;
  assert.ok(closed >= KEEP_ALIVE_MS - 5 && closed < KEEP_ALIVE_MS + 1500, `closed after ${closed} ms`);
  assert.equal(c.text(), '');
});

test('a client waiting longer than the keep-alive time for its response keeps its connection, then idles out', async () => {
  const port = await scripted([KEEP_ALIVE_MS + 400, 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nslow']);
  await app('slow', port);
  const c = client(bodyLimited.url); // its headers timeout (5 s) is longer than the wait
  c.socket.write('GET / HTTP/1.1\r\nHost: slow.localhost\r\n\r\n');
  const closed = await c.closedAfter;
  assert.match(c.text(), /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nslow$/);
  assert.ok(closed >= 2 * KEEP_ALIVE_MS + 400 - 5, `closed ${closed} ms after the request: the idle time counts from the response`);
});

test('an upstream silent before its response head gives 504 after the headers timeout', async () => {
  const port = await scripted([HEADERS_MS + 1000, 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok']);
  await app('mute', port);
  const c = client(router.url);
  c.socket.write('GET / HTTP/1.1\r\nHost: mute.localhost\r\n\r\n');
  const after = await c.until((t) => t.includes('\r\n\r\n'));
  assert.match(c.text(), /^HTTP\/1\.1 504 /);
  assert.ok(after >= HEADERS_MS - 5 && after < HEADERS_MS + 1000, `504 after ${after} ms`);
  c.socket.destroy();
});

test('silence inside a response body is allowed without a body timeout and cut after one', async () => {
  const head = 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n';
  const port = await scripted([head, 'first', BODY_MS + 400, 'again']);
  await app('pause', port);
  const whole = client(router.url); // headers timeout 300 ms, no body timeout
  whole.socket.write('GET / HTTP/1.1\r\nHost: pause.localhost\r\n\r\n');
  const cut = client(bodyLimited.url); // body timeout 500 ms
  cut.socket.write('GET / HTTP/1.1\r\nHost: pause.localhost\r\n\r\n');
  const closed = await cut.closedAfter;
  assert.ok(closed >= BODY_MS - 5 && closed < BODY_MS + 400, `cut after ${closed} ms`);
  assert.match(cut.text(), /\r\n\r\nfirst$/);
  await whole.until((t) => t.endsWith('firstagain'));
  assert.match(whole.text(), /^HTTP\/1\.1 200 OK\r\n/);
  whole.socket.destroy();
});

test('an upstream that does not accept the connection gives 504 after the connect timeout', async () => {
  await app('hole', await blackHole());
  const c = client(router.url);
  c.socket.write('GET / HTTP/1.1\r\nHost: hole.localhost\r\n\r\n');
  const after = await c.until((t) => t.includes('\r\n\r\n'));
  assert.match(c.text(), /^HTTP\/1\.1 504 /);
  assert.ok(after >= CONNECT_MS - 5 && after < CONNECT_MS + 1000, `504 after ${after} ms`);
  c.socket.destroy();
});
