// Request targets and Host through the real router (issue #14): raw TCP upstreams record the exact heads they
// receive. An absolute-form target is routed by its authority and reaches that app in origin form with that Host,
// never the app the Host header names with the attacker's URL; bad targets and Host headers (repeated, empty,
// invalid, missing) get the router's 400 and reach no app; CONNECT gets 405; an app that never answers an upgrade
// gets the client a 504 after the upstream timeout. Each on a new connection and after a fast-path request on it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer as createTcpServer, type Socket, type Server as TcpServer } from 'node:net';
import { startEtcd, startTestRouter, uniquePrefix, putRoute, putEndpoint, type Etcd } from './harness.js';
import type { RunningRouter } from '../../../src/router/router.js';

const HEADERS_MS = 800;
let etcd: Etcd;
let router: RunningRouter & { url: string };
let port: number;
const prefix = uniquePrefix();
const servers: TcpServer[] = [];
/** Request heads each upstream received, by app, as sent (without the blank line). */
const heads: Record<string, string[]> = { victim: [], attacker: [], mute: [] };

/** A raw upstream: records each request head (requests without bodies) and answers `seen <app> <request line>`, or never answers (`mute`). */
async function recordingUpstream(app: string, mute = false): Promise<number> {
  const server = createTcpServer((s: Socket) => {
    let got = '';
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      for (let end = got.indexOf('\r\n\r\n'); end !== -1; end = got.indexOf('\r\n\r\n')) {
        const head = got.slice(0, end);
        got = got.slice(end + 4);
        heads[app]!.push(head);
        if (mute) continue;
        const body = `seen ${app} ${head.slice(0, head.indexOf('\r\n'))}`;
        s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      }
    });
    s.on('error', () => s.destroy());
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

/** Sends `bytes` on one connection and collects the answer until the router closes it (a deadline fails the test). */
function send(bytes: string, timeoutMs = 5000): Promise<{ text: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const s = connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(
      () => (s.destroy(), reject(new Error(`the router did not close the connection in ${timeoutMs} ms; got ${JSON.stringify(text)}`))),
      timeoutMs,
    );
    s.on('data', (d) => (text += d.toString('latin1')));
    s.on('error', () => undefined); // a reset ends the connection too
    s.on('close', () => (clearTimeout(timer), resolve({ text, ms: Date.now() - started })));
    s.write(Buffer.from(bytes, 'latin1'));
  });
}

before(async () => {
  etcd = await startEtcd();
  router = await startTestRouter(etcd.etcd.endpoint, prefix, { headersTimeoutMs: HEADERS_MS });
  port = Number(new URL(router.url).port);
  for (const app of ['victim', 'attacker', 'mute']) {
    await putRoute(etcd.client, prefix, `${app}.localhost`, app);
    await router.waitPublished(await putEndpoint(etcd.client, prefix, app, 'web.1', await recordingUpstream(app, app === 'mute')));
  }
});
after(async () => {
  await router?.close();
  for (const s of servers) s.close();
  await etcd?.close();
});

/** A first request the fast path serves on the connection, before the one under test. */
const LEAD = 'GET /lead HTTP/1.1\r\nHost: victim.localhost\r\n\r\n';
const statuses = (text: string) => [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
/** The values of header `name` in a recorded head. */
const values = (head: string, name: string) =>
  head
    .split('\r\n')
    .slice(1)
    .filter((l) => l.slice(0, l.indexOf(':')).toLowerCase() === name)
    .map((l) => l.slice(l.indexOf(':') + 1).trim());
const counts = () => Object.fromEntries(Object.entries(heads).map(([app, h]) => [app, h.length]));

const ABSOLUTE: [string, string, string, string][] = [
  // [request line and extra lines, app, request line the app must see, Host it must see]
  ['GET http://attacker.localhost/poison?x=1 HTTP/1.1\r\nHost: victim.localhost', 'attacker', 'GET /poison?x=1 HTTP/1.1', 'attacker.localhost'],
  ['GET HTTP://ATTACKER.localhost:8080?x=1 HTTP/1.1\r\nHost: victim.localhost', 'attacker', 'GET /?x=1 HTTP/1.1', 'ATTACKER.localhost:8080'],
  ['POST https://victim.localhost/reset HTTP/1.1\r\nHost: attacker.localhost\r\nContent-Length: 0', 'victim', 'POST /reset HTTP/1.1', 'victim.localhost'],
  [
    'GET http://attacker.localhost/ws HTTP/1.1\r\nHost: victim.localhost\r\nConnection: Upgrade\r\nUpgrade: websocket',
    'attacker',
    'GET /ws HTTP/1.1',
    'attacker.localhost',
  ],
];
for (const [lines, app, requestLine, host] of ABSOLUTE) {
  test(`absolute-form target, routed by its authority and forwarded in origin form with it as Host (as nginx does): ${JSON.stringify(lines)}`, async () => {
    for (const lead of ['', LEAD]) {
      const before = counts();
      // Upgrades end the connection after the app's answer (not a 101 here); the others ask for it.
      const close = lines.includes('Upgrade') ? '' : '\r\nConnection: close';
      const { text } = await send(`${lead}${lines}${close}\r\n\r\n`);
      const why = `${lead ? 'after a fast-path request: ' : ''}client got ${JSON.stringify(text)}`;
      const got = heads[app]!.slice(before[app]! + (lead && app === 'victim' ? 1 : 0));
      assert.equal(got.length, 1, why);
      assert.equal(got[0]!.slice(0, got[0]!.indexOf('\r\n')), requestLine, why);
      assert.deepEqual(values(got[0]!, 'host'), [host], why);
      assert.deepEqual(values(got[0]!, 'x-forwarded-host'), [host], why);
      const other = app === 'victim' ? 'attacker' : 'victim';
      assert.equal(heads[other]!.length - before[other]!, lead && other === 'victim' ? 1 : 0, `the app the Host header named got the request: ${why}`);
      assert.ok(text.endsWith(`seen ${app} ${requestLine}`), why);
    }
  });
}

const REFUSED: Record<string, [string, number]> = {
  'two Host headers': ['GET / HTTP/1.1\r\nHost: victim.localhost\r\nHost: attacker.localhost', 400],
  'two equal Host headers': ['GET / HTTP/1.1\r\nHost: victim.localhost\r\nHost: victim.localhost', 400],
  'an empty Host': ['GET / HTTP/1.1\r\nHost: ', 400],
  'a Host with user information': ['GET / HTTP/1.1\r\nHost: victim.localhost:80@attacker.localhost', 400],
  'a Host with a path': ['GET / HTTP/1.1\r\nHost: victim.localhost/x', 400],
  'a Host with a space': ['GET / HTTP/1.1\r\nHost: victim.localhost x', 400],
  'no Host': ['GET / HTTP/1.1\r\nAccept: */*', 400],
  'an absolute target and two Host headers': ['GET http://attacker.localhost/ HTTP/1.1\r\nHost: victim.localhost\r\nHost: victim.localhost', 400],
  'an absolute target with user information': ['GET http://victim.localhost@attacker.localhost/ HTTP/1.1\r\nHost: victim.localhost', 400],
  'an absolute target without a host': ['GET http:///x HTTP/1.1\r\nHost: victim.localhost', 400],
  'a URL of another scheme': ['GET ftp://attacker.localhost/ HTTP/1.1\r\nHost: victim.localhost', 400],
  '* for GET': ['GET * HTTP/1.1\r\nHost: victim.localhost', 400],
  'authority form for GET': ['GET attacker.localhost:80 HTTP/1.1\r\nHost: victim.localhost', 400],
  'an upgrade with two Host headers': [
    'GET /ws HTTP/1.1\r\nHost: victim.localhost\r\nHost: attacker.localhost\r\nConnection: Upgrade\r\nUpgrade: websocket',
    400,
  ],
  'an upgrade with an absolute target without a host': ['GET http:///ws HTTP/1.1\r\nHost: victim.localhost\r\nConnection: Upgrade\r\nUpgrade: websocket', 400],
  CONNECT: ['CONNECT attacker.localhost:80 HTTP/1.1\r\nHost: attacker.localhost:80', 405],
};
for (const [name, [lines, status]] of Object.entries(REFUSED)) {
  test(`refused with ${status}, reaching no app: ${name}`, async () => {
    for (const lead of ['', LEAD]) {
      const before = counts();
      const { text } = await send(`${lead}${lines}\r\n\r\n`).catch((err: Error) => assert.fail(`${lead ? 'after a fast-path request: ' : ''}${err.message}`));
      const why = `${lead ? 'after a fast-path request: ' : ''}client got ${JSON.stringify(text)}`;
      assert.deepEqual(statuses(text), lead ? [200, status] : [status], why);
      assert.deepEqual(counts(), { ...before, victim: before.victim! + (lead ? 1 : 0) }, `an app got the request: ${why}`);
      if (status === 405) assert.match(text, /\r\nallow: GET, HEAD/, why);
    }
  });
}

test('a refusal says why in one sentence', async () => {
  const { text } = await send('GET / HTTP/1.1\r\nHost: victim.localhost\r\nHost: attacker.localhost\r\n\r\n');
  assert.match(text, /<p>The request has more than one Host header\.<\/p>/);
});

test('OPTIONS * is answered by the router (the server the client talks to), and reaches no app', async () => {
  const before = counts();
  const { text } = await send('OPTIONS * HTTP/1.1\r\nHost: victim.localhost\r\nConnection: close\r\n\r\n');
  assert.deepEqual(statuses(text), [200], text);
  assert.match(text, /\r\nallow: GET, HEAD/i, text);
  assert.deepEqual(counts(), before);
});

test('an upgrade the app never answers gets a 504 after the upstream timeout, and the connection closes', async () => {
  for (const lead of ['', LEAD]) {
    const before = heads.mute!.length;
    const { text, ms } = await send(`${lead}GET /ws HTTP/1.1\r\nHost: mute.localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`, HEADERS_MS + 4000);
    const why = `client got ${JSON.stringify(text)} after ${ms} ms`;
    assert.equal(heads.mute!.length - before, 1, why); // the app had the request
    assert.deepEqual(statuses(text), lead ? [200, 504] : [504], why);
    assert.ok(ms >= HEADERS_MS - 50, why);
  }
});
