// Request smuggling through the real router (issue #14): pipelined CL.TE, TE.CL and TE.TE payloads on one client
// connection to a router in front of a raw TCP upstream that records the bytes it receives and frames them
// strictly. The upstream must see exactly one well-framed request per request the client meant (or the router
// answers 400 and closes), never a request hidden in a body or sent through an upgrade the app refused; and an
// app's malformed chunked response must not reach the client as bytes a client could read as a second response.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer as createTcpServer, type Socket, type Server as TcpServer } from 'node:net';
import { startEtcd, startTestRouter, uniquePrefix, putRoute, putEndpoint, type Etcd } from './harness.js';
import type { RunningRouter } from '../../../src/router/router.js';

let etcd: Etcd;
let router: RunningRouter & { url: string };
let port: number;
const prefix = uniquePrefix();
const servers: TcpServer[] = [];
const HOST = 'smug.localhost';

/** A request as the upstream framed it, or why its bytes were not one well-framed request. */
interface Received {
  method: string;
  url: string;
  hosts: number;
  /** The last X-Forwarded-For value: the router appends the client's address to what the client sent. */
  forwardedFor: string | undefined;
  body: string;
}
const received: Received[] = [];
const illFramed: string[] = [];

const TOKEN_LINE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Frames one request at the start of `bytes` as strictly as RFC 9112 allows (CRLF only, `name:value` lines, one
 * Host, at most one Content-Length of digits, Transfer-Encoding only as a lone `chunked` without Content-Length, a
 * well-formed chunked body). Returns the request and the bytes it used, 0 when more bytes are needed, or a reason.
 */
function frame(bytes: string): { req: Received; used: number } | 0 | string {
  const end = bytes.indexOf('\r\n\r\n');
  if (end === -1) return 0;
  const lines = bytes.slice(0, end).split('\r\n');
  const m = /^([A-Z]+) (\S+) HTTP\/1\.1$/.exec(lines[0]!);
  if (!m) return `request line ${JSON.stringify(lines[0])}`;
  let hosts = 0;
  let forwardedFor: string | undefined;
  const lengths: string[] = [];
  const codings: string[] = [];
  for (const line of lines.slice(1)) {
    if (!TOKEN_LINE.test(line)) return `header line ${JSON.stringify(line)}`;
    const name = line.slice(0, line.indexOf(':')).toLowerCase();
    const value = line.slice(line.indexOf(':') + 1).trim();
    if (name === 'host') hosts++;
    if (name === 'x-forwarded-for') forwardedFor = value;
    if (name === 'content-length') lengths.push(value);
    if (name === 'transfer-encoding') codings.push(value);
  }
  const at = end + 4;
  if (codings.length > 0) {
    if (codings.length > 1 || codings[0]!.toLowerCase() !== 'chunked' || lengths.length > 0)
      return `framing: Transfer-Encoding ${JSON.stringify(codings)}, Content-Length ${JSON.stringify(lengths)}`;
    let i = at;
    let body = '';
    for (;;) {
      const eol = bytes.indexOf('\r\n', i);
      if (eol === -1) return 0;
      const size = bytes.slice(i, eol);
      if (!/^[0-9a-fA-F]{1,8}$/.test(size)) return `chunk size ${JSON.stringify(size)}`;
      const n = Number.parseInt(size, 16);
      if (bytes.length < eol + 2 + n + 2) return 0;
      if (n === 0) {
        if (bytes.slice(eol + 2, eol + 4) !== '\r\n') return 'trailers';
        return { req: { method: m[1]!, url: m[2]!, hosts, forwardedFor, body }, used: eol + 4 };
      }
      body += bytes.slice(eol + 2, eol + 2 + n);
      if (bytes.slice(eol + 2 + n, eol + 4 + n) !== '\r\n') return 'chunk data not followed by CRLF';
      i = eol + 4 + n;
    }
  }
  if (lengths.length > 1 || (lengths.length === 1 && !/^\d{1,15}$/.test(lengths[0]!))) return `framing: Content-Length ${JSON.stringify(lengths)}`;
  const n = lengths.length === 1 ? Number(lengths[0]) : 0;
  if (bytes.length < at + n) return 0;
  return { req: { method: m[1]!, url: m[2]!, hosts, forwardedFor, body: bytes.slice(at, at + n) }, used: at + n };
}

/** The raw upstream: records and frames what arrives, answers each request with `seen <url>`, drops what it cannot frame. */
async function startRecordingUpstream(): Promise<number> {
  const server = createTcpServer((s: Socket) => {
    let got = '';
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      for (;;) {
        const r = frame(got);
        if (r === 0) return;
        if (typeof r === 'string') {
          illFramed.push(`${r} in ${JSON.stringify(got.slice(0, 400))}`);
          return void s.destroy();
        }
        received.push(r.req);
        got = got.slice(r.used);
        const body = `seen ${r.req.url}`;
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
function send(bytes: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(
      () => (s.destroy(), reject(new Error(`the router did not close the connection in ${timeoutMs} ms; got ${JSON.stringify(text)}`))),
      timeoutMs,
    );
    s.on('data', (d) => (text += d.toString('latin1')));
    s.on('error', () => undefined); // a reset ends the connection too
    s.on('close', () => (clearTimeout(timer), resolve(text)));
    s.write(Buffer.from(bytes, 'latin1'));
  });
}

before(async () => {
  etcd = await startEtcd();
  router = await startTestRouter(etcd.etcd.endpoint, prefix);
  port = Number(new URL(router.url).port);
  await putRoute(etcd.client, prefix, HOST, 'smug');
  await router.waitPublished(await putEndpoint(etcd.client, prefix, 'smug', 'web.1', await startRecordingUpstream()));
});
after(async () => {
  await router?.close();
  for (const s of servers) s.close();
  await etcd?.close();
});

const smuggled = (tag: string) => `GET /${tag}/smuggled HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`;
/** The request after the attempt on the same connection; it asks the router to close once answered. */
const last = (tag: string) => `GET /${tag}/last HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`;
/** A chunked body carrying `inner` in its one chunk, and the same as a body in which the last chunk comes first. */
const chunkOf = (inner: string) => `${inner.length.toString(16)}\r\n${inner}\r\n0\r\n\r\n`;

/** Each attempt: the head lines of the first request (after its request line and Host) and its body. */
function attempts(tag: string): Record<string, string> {
  const post = (lines: string[], body: string, version = 'HTTP/1.1') =>
    `POST /${tag}/first ${version}\r\nHost: ${HOST}\r\n${lines.map((l) => `${l}\r\n`).join('')}\r\n${body}`;
  const clte = `0\r\n\r\n${smuggled(tag)}`; // CL.TE: the length covers a request that TE framing leaves over
  const tecl = chunkOf(smuggled(tag)); // TE.CL: the chunk carries a request that a short length leaves over
  return {
    // Taken: a request inside a body stays body.
    'a request as a Content-Length body': post([`Content-Length: ${smuggled(tag).length}`], smuggled(tag)),
    'a request as a zero-padded Content-Length body': post([`Content-Length: 000${smuggled(tag).length}`], smuggled(tag)),
    'a request in a chunked body': post(['Transfer-Encoding: chunked'], chunkOf(smuggled(tag))),
    'a request in a chunked body with an extension and a trailer': post(
      ['Transfer-Encoding: Chunked'],
      `${smuggled(tag).length.toString(16)};a="b c"\r\n${smuggled(tag)}\r\n0\r\nX-T: y\r\n\r\n`,
    ),
    // Refused.
    'CL.TE': post([`Content-Length: ${clte.length}`, 'Transfer-Encoding: chunked'], clte),
    'TE.CL': post(['Content-Length: 3', 'Transfer-Encoding: chunked'], tecl),
    'TE.CL, TE first': post(['Transfer-Encoding: chunked', 'Content-Length: 3'], tecl),
    'TE: xchunked': post([`Content-Length: ${clte.length}`, 'Transfer-Encoding: xchunked'], clte),
    'TE with a space before the colon': post([`Content-Length: ${clte.length}`, 'Transfer-Encoding : chunked'], clte),
    'TE: chunked, identity': post(['Transfer-Encoding: chunked, identity'], tecl),
    'TE twice, chunked then identity': post(['Transfer-Encoding: chunked', 'Transfer-Encoding: identity'], tecl),
    'TE twice, identity then chunked, with CL': post([`Content-Length: ${clte.length}`, 'Transfer-Encoding: identity', 'Transfer-Encoding: chunked'], clte),
    'TE in an obs-fold': post([`Content-Length: ${clte.length}`, 'Transfer-Encoding: identity', ' chunked'], clte),
    'TE after a folded line': post([`Content-Length: ${clte.length}`, 'X-A: b', ' Transfer-Encoding: chunked'], clte),
    'TE with a tab value': post([`Content-Length: ${clte.length}`, 'Transfer-Encoding:\tchunked'], clte),
    'TE behind a bare LF': post([`Content-Length: ${clte.length}`, 'X-A: b\nTransfer-Encoding: chunked'], clte),
    'TE with a NUL': post([`Content-Length: ${clte.length}`, 'Transfer-Encoding: chunked\x00'], clte),
    'TE with HTTP/1.0': post([`Content-Length: ${clte.length}`, 'Transfer-Encoding: chunked'], clte, 'HTTP/1.0'),
    // (2^64 - 1 itself is a valid size: llhttp then waits for that much body, forwarded as body.)
    'TE chunked with a chunk size beyond 2^64': post(['Transfer-Encoding: chunked'], `10000000000000000\r\n${smuggled(tag)}\r\n0\r\n\r\n`),
    'TE chunked with a bare-LF last chunk': post(['Transfer-Encoding: chunked'], `0\n\n${smuggled(tag)}`),
    'TE chunked, data without CRLF': post(['Transfer-Encoding: chunked'], `1\r\nxx0\r\n\r\n${smuggled(tag)}`),
    'two different lengths': post(['Content-Length: 0', `Content-Length: ${smuggled(tag).length}`], smuggled(tag)),
    'two equal lengths': post([`Content-Length: ${smuggled(tag).length}`, `Content-Length: ${smuggled(tag).length}`], smuggled(tag)),
    'a listed length': post([`Content-Length: 0, ${smuggled(tag).length}`], smuggled(tag)),
    'a signed length': post([`Content-Length: +${smuggled(tag).length}`], smuggled(tag)),
    'a hex length': post([`Content-Length: 0x${smuggled(tag).length.toString(16)}`], smuggled(tag)),
    'a huge length': post(['Content-Length: 18446744073709551616'], smuggled(tag)),
    'a length with a space before the colon': post([`Content-Length : ${smuggled(tag).length}`], smuggled(tag)),
    'a length in an obs-fold': post(['Content-Length:', ` ${smuggled(tag).length}`], smuggled(tag)),
    'a length behind a bare CR': post([`X-A: b\rContent-Length: ${smuggled(tag).length}`], smuggled(tag)),
  };
}

test('smuggling attempts: the upstream sees one well-framed request per request the client meant, or the router answers 400 and closes', async () => {
  const names = Object.keys(attempts('x'));
  for (const [k, name] of names.entries()) {
    // The attempt twice: first on a new connection, then after a request the fast path served on it.
    for (const after of [false, true]) {
      const tag = `c${k}${after ? 'b' : 'a'}`;
      const before = received.length;
      const lead = after ? `GET /${tag}/lead HTTP/1.1\r\nHost: ${HOST}\r\n\r\n` : '';
      const text = await send(lead + attempts(tag)[name]! + last(tag)).catch((err: Error) =>
        assert.fail(`${name}${after ? ' (after a first request)' : ''}: ${err.message}`),
      );
      const urls = received.slice(before).map((r) => r.url);
      const why = `${name}${after ? ' (after a first request)' : ''}: upstream saw ${JSON.stringify(urls)}, client got ${JSON.stringify(text)}`;
      assert.ok(!urls.some((u) => u.endsWith('/smuggled')), `a request hidden in a body reached the upstream: ${why}`);
      assert.deepEqual(illFramed, [], why);
      assert.ok(
        received.slice(before).every((r) => r.hosts === 1),
        why,
      );
      const answered = [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1]);
      if (urls.includes(`/${tag}/first`)) {
        // Accepted: the request went on as one request, and so did the one after it (node:http serves pipelined
        // requests at once, so they may arrive in another order; the answers come back in order).
        assert.deepEqual([...urls].sort(), [`/${tag}/first`, `/${tag}/last`, ...(after ? [`/${tag}/lead`] : [])], why);
        assert.deepEqual(text.match(/seen \S+?(?=HTTP|$)/g), [...(after ? [`seen /${tag}/lead`] : []), `seen /${tag}/first`, `seen /${tag}/last`], why);
        assert.deepEqual(
          answered,
          urls.map(() => '200'),
          why,
        );
        assert.match(received.find((r) => r.url === `/${tag}/first`)!.body, new RegExp(`/${tag}/smuggled`), `the body went on as body: ${why}`);
      } else {
        // Refused: a 400 after the lead's answer, and the connection closed (the test's `send` saw it close).
        assert.deepEqual(urls, after ? [`/${tag}/lead`] : [], why);
        assert.deepEqual(answered, [...(after ? ['200'] : []), '400'], why);
      }
    }
  }
});

test('a Host header sent twice is not forwarded (routed by one, it would reach the app with both)', async () => {
  const before = received.length;
  const text = await send(`GET /dup/first HTTP/1.1\r\nHost: ${HOST}\r\nHost: other.localhost\r\n\r\n${last('dup')}`);
  assert.deepEqual(
    received.slice(before).map((r) => r.url),
    ['/dup/last'],
    text,
  );
  // node:http takes it and the general proxy's HTTP client refuses to send it: a 502 where RFC 9112 §3.2 wants a 400.
  assert.match(text, /^HTTP\/1\.1 (400|502) /);
});

test("an app's response a client would end elsewhere (broken chunked framing, an empty Transfer-Encoding line) never reaches it as a second response", async () => {
  // The app ends its chunked body with a bare LF and appends a forged response: a client reading it leniently
  // would take the forged head as the answer to the next request on the connection (another app's, perhaps).
  const forged = await (async () => {
    const server = createTcpServer((s) => {
      s.once('data', (d) => {
        if (d.toString('latin1').startsWith('GET /empty-te ')) {
          // Chunked for llhttp (an empty Transfer-Encoding line is no coding), until the close for a router that
          // took the joined 'chunked, ' as not chunked: then the forged head is body to the router, a response to
          // the client. The app ends its connection, as such a framing would have it.
          return void s.end(
            'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: \r\n\r\n5\r\nhello\r\n0\r\n\r\nHTTP/1.1 200 OK\r\nX-Forged: yes\r\nContent-Length: 11\r\n\r\n',
          );
        }
        const end = '0\r\n\nHTTP/1.1 200 OK\r\nX-Forged: yes\r\nContent-Length: 11\r\n\r\n';
        s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
        // At once, or as a slow app would: after the router relayed the head and the first chunk.
        if (d.toString('latin1').startsWith('GET /slow ')) setTimeout(() => s.write(end), 50);
        else s.write(end);
      });
      s.on('error', () => s.destroy());
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return (server.address() as { port: number }).port;
  })();
  await putRoute(etcd.client, prefix, 'forger.localhost', 'forger');
  await router.waitPublished(await putEndpoint(etcd.client, prefix, 'forger', 'web.1', forged));
  const text = await send(`GET / HTTP/1.1\r\nHost: forger.localhost\r\n\r\n${last('forger')}`);
  assert.ok(!text.includes('X-Forged'), `the forged head reached the client: ${JSON.stringify(text)}`);
  // The broken body came with the head, so nothing had gone out: a 502, and the connection goes on.
  assert.match(text, /^HTTP\/1\.1 502 Bad Gateway\r\n[\s\S]*HTTP\/1\.1 200 OK\r\n[\s\S]*seen \/forger\/last$/, text);
  // Once the head is out, the client connection is cut where the framing breaks (unless a stalled router read
  // both writes at once: then the 502 above).
  const slow = await send(`GET /slow HTTP/1.1\r\nHost: forger.localhost\r\n\r\n${last('forger')}`);
  assert.ok(
    slow === 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n' || (/^HTTP\/1\.1 502 /.test(slow) && !slow.includes('X-Forged')),
    JSON.stringify(slow),
  );
  // Framing headers a client reads otherwise (here an empty Transfer-Encoding line): a 502, nothing relayed.
  const emptyTe = await send(`GET /empty-te HTTP/1.1\r\nHost: forger.localhost\r\n\r\n${last('forger')}`);
  assert.ok(!emptyTe.includes('X-Forged'), `the forged head reached the client: ${JSON.stringify(emptyTe)}`);
  assert.match(emptyTe, /^HTTP\/1\.1 502 Bad Gateway\r\n/, emptyTe);
});

test('an upgrade the app does not accept leaves no tunnel: what follows is not sent to the app unseen by the router', async () => {
  // The recording upstream answers the upgrade request with a 200, not a 101: a router that pipes the connection
  // anyway lets the client talk to the app directly, past the router's framing checks and X-Forwarded-* headers.
  const before = received.length;
  const upgrade = `GET /up/ws HTTP/1.1\r\nHost: ${HOST}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`;
  const inside = `GET /up/tunnelled HTTP/1.1\r\nHost: ${HOST}\r\nX-Forwarded-For: 10.9.8.7\r\n\r\n`;
  const text = await send(upgrade + inside + last('up'));
  const got = received.slice(before);
  assert.ok(
    got.every((r) => r.forwardedFor?.endsWith('127.0.0.1')),
    `a request reached the app without the router's X-Forwarded-For: ${JSON.stringify(got)}; client got ${JSON.stringify(text)}`,
  );
  assert.match(text, /^HTTP\/1\.1 200 OK\r\n[\s\S]*seen \/up\/ws/, text);

  // A refusal with a chunked body, the app keeping its connection open: relayed whole, then both ends closed.
  const refusing = createTcpServer((s) => {
    let answered = false;
    s.on('data', (d) => {
      if (answered) return void illFramed.push(`bytes after a refused upgrade: ${JSON.stringify(d.toString('latin1'))}`);
      answered = true;
      s.write('HTTP/1.1 401 Unauthorized\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n4\r\nnope\r\n0\r\n\r\n');
    });
    s.on('error', () => s.destroy());
  });
  servers.push(refusing);
  await new Promise<void>((r) => refusing.listen(0, '127.0.0.1', r));
  await putRoute(etcd.client, prefix, 'refusing.localhost', 'refusing');
  await router.waitPublished(await putEndpoint(etcd.client, prefix, 'refusing', 'web.1', (refusing.address() as { port: number }).port));
  const refused = await send(upgrade.replace(HOST, 'refusing.localhost') + inside.replace(HOST, 'refusing.localhost'));
  assert.equal(refused, 'HTTP/1.1 401 Unauthorized\r\nTransfer-Encoding: chunked\r\nconnection: close\r\n\r\n4\r\nnope\r\n0\r\n\r\n');
  assert.deepEqual(illFramed, []);
});

test('the upstream never saw an ill-framed or smuggled request, late bytes included', async () => {
  await router.close(); // in-flight requests finish, so every byte forwarded has arrived
  assert.deepEqual(illFramed, []);
  assert.deepEqual(
    received.filter((r) => r.url.endsWith('/smuggled') || r.hosts !== 1 || !r.forwardedFor?.endsWith('127.0.0.1')),
    [],
  );
});
