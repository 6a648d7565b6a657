// The router's byte-level HTTP/1.1 path against real upstreams and raw client sockets: pipelining, upstream
// keep-alive reuse and expiry, every response framing, refused and handed-over requests, large and early-answered
// uploads, a large download to a slow client, and seeded random mangling of both sides (FUZZ_SEED picks another
// sequence).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer as createTcpServer, type Socket, type Server as TcpServer } from 'node:net';
import { createHash } from 'node:crypto';
import { startEtcd, startUpstream, startTestRouter, uniquePrefix, putRoute, putEndpoint, type Etcd, type Upstream } from './harness.js';
import type { RunningRouter } from '../../../src/router/router.js';

let etcd: Etcd;
let router: RunningRouter & { url: string };
let port: number;
const ups: Upstream[] = [];
const raws: TcpServer[] = [];
const prefix = uniquePrefix();

async function app(name: string, upstreamPort: number): Promise<void> {
  await putRoute(etcd.client, prefix, `${name}.localhost`, name);
  await router.waitPublished(await putEndpoint(etcd.client, prefix, name, 'web.1', upstreamPort));
}
async function upstream(name: string, handler?: Parameters<typeof startUpstream>[1]): Promise<Upstream> {
  const u = await startUpstream(name, handler);
  ups.push(u);
  return u;
}
/** An upstream speaking raw bytes: `answer` gets each connection and the bytes received so far. */
async function rawUpstream(answer: (socket: Socket, received: string) => void): Promise<number> {
  const server = createTcpServer((s) => {
    let got = '';
    s.on('data', (d) => {
      got += d.toString('latin1');
      if (!got.includes('\r\n\r\n')) return;
      answer(s, got);
      got = '';
    });
    s.on('error', () => s.destroy());
  });
  raws.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

/** Sends `bytes` on a new connection and collects everything until the router closes it or `until` matches. */
function exchange(bytes: string | Buffer, until?: (text: string) => boolean, timeoutMs = 5000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => (s.destroy(), reject(new Error(`no complete answer in ${timeoutMs} ms; got ${JSON.stringify(text)}`))), timeoutMs);
    s.on('data', (d) => {
      text += d.toString('latin1');
      if (until?.(text)) {
        clearTimeout(timer);
        s.destroy();
        resolve({ text, closed: false });
      }
    });
    s.on('close', () => (clearTimeout(timer), resolve({ text, closed: true })));
    s.on('error', () => undefined); // a reset shows as `closed`
    s.write(bytes);
  });
}
const count = (text: string, s: string) => text.split(s).length - 1;

before(async () => {
  etcd = await startEtcd();
  router = await startTestRouter(etcd.etcd.endpoint, prefix);
  port = Number(new URL(router.url).port);
});
after(async () => {
  await router?.close();
  await Promise.all(ups.map((u) => u.close()));
  for (const s of raws) s.close();
  await etcd?.close();
});

test('pipelined requests are answered in order on one connection', async () => {
  const u = await upstream('pipe', (req, res) => {
    // The first answer is the slowest: order must come from the router, not from timing.
    setTimeout(() => res.end(`answer ${req.url}`), req.url === '/1' ? 50 : 0);
  });
  await app('pipe', u.port);
  const req = (n: number) => `GET /${n} HTTP/1.1\r\nHost: pipe.localhost\r\n\r\n`;
  const { text } = await exchange(req(1) + req(2) + req(3), (t) => t.includes('answer /3'));
  const at = [1, 2, 3].map((n) => text.indexOf(`answer /${n}`));
  assert.ok(at.every((i) => i > 0) && at[0]! < at[1]! && at[1]! < at[2]!, text);
  assert.equal(count(text, 'HTTP/1.1 200'), 3);
});

test('upstream connections are kept alive and reused; expired ones are not used', async () => {
  const seen = new Set<string>();
  const u = await upstream('reuse', (req, res) => {
    seen.add(`${req.socket.remotePort}`);
    res.end('ok');
  });
  u.server.keepAliveTimeout = 1500; // announced as Keep-Alive: timeout=1; the router keeps it 0.5 s
  await app('reuse', u.port);
  const one = () => exchange('GET / HTTP/1.1\r\nHost: reuse.localhost\r\n\r\n', (t) => t.endsWith('ok'));
  for (let i = 0; i < 20; i++) await one();
  assert.equal(seen.size, 1, 'twenty sequential requests over one upstream connection');
  await new Promise((r) => setTimeout(r, 1000)); // past the router's idle time, before the upstream's
  const r = await one();
  assert.match(r.text, /^HTTP\/1\.1 200/);
  assert.equal(seen.size, 2, 'an idle connection past its time is replaced');
});

test('a kept-alive connection the upstream drops as a request arrives: idempotent requests (GET, small PUT) are sent again, a POST is not', async () => {
  let connections = 0;
  const p = await rawUpstream((s, got) => {
    // Each connection answers its first request and drops the next one unanswered, as a server does whose
    // keep-alive timeout ends just as the router reuses the connection.
    const n = ((s as Socket & { served?: number }).served = ((s as Socket & { served?: number }).served ?? 0) + 1);
    if (n === 1) connections++;
    if (n > 1) return s.destroy();
    const body = got.slice(got.indexOf('\r\n\r\n') + 4);
    s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length + 2}\r\n\r\nok${body}`);
  });
  await app('racy', p);
  for (let i = 0; i < 4; i++) {
    const get = await exchange('GET / HTTP/1.1\r\nHost: racy.localhost\r\n\r\n', (t) => t.endsWith('ok'));
    assert.match(get.text, /^HTTP\/1\.1 200/, `GET ${i}`);
    const put = await exchange('PUT / HTTP/1.1\r\nHost: racy.localhost\r\nContent-Length: 5\r\n\r\nhello', (t) => t.endsWith('okhello'));
    assert.match(put.text, /^HTTP\/1\.1 200/, `PUT ${i}`);
  }
  assert.equal(connections, 8, 'every request after the first needed a new connection');
  const post = await exchange('POST / HTTP/1.1\r\nHost: racy.localhost\r\nContent-Length: 5\r\n\r\nhello', (t) => t.includes('</html>'));
  assert.match(post.text, /^HTTP\/1\.1 502/, 'the POST may have been acted on: not sent twice');
  assert.equal(connections, 8);
});

test('response framings: length, chunked with trailers, until close, and no body', async () => {
  const p = await rawUpstream((s, got) => {
    const path = got.split(' ')[1];
    if (path === '/length') s.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello');
    else if (path === '/chunked') {
      s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n3\r\nabc');
      setTimeout(() => s.write('\r\n2\r\nde\r\n0\r\nX-Sum: 5\r\n\r\n'), 30);
    } else if (path === '/close') s.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close');
    else if (path === '/head') s.write('HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n');
    else if (path === '/junk')
      s.write('HTTP/1.1 204 No Content\r\n\r\nJUNK'); // bytes no response owns
    else s.write('HTTP/1.1 204 No Content\r\n\r\n');
  });
  await app('frames', p);
  const get = (path: string, method = 'GET') => `${method} ${path} HTTP/1.1\r\nHost: frames.localhost\r\n\r\n`;

  const both = await exchange(get('/length') + get('/chunked'), (t) => t.endsWith('0\r\nX-Sum: 5\r\n\r\n'));
  assert.match(both.text, /^HTTP\/1\.1 200 OK\r\nContent-Length: 5\r\n\r\nhello/);
  assert.ok(both.text.endsWith('Transfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\nX-Sum: 5\r\n\r\n'), both.text);

  const noBody = await exchange(get('/head', 'HEAD') + get('/empty') + get('/length'), (t) => t.endsWith('hello'));
  assert.match(noBody.text, /^HTTP\/1\.1 200 OK\r\nContent-Length: 1234\r\n\r\nHTTP\/1\.1 204 No Content\r\n\r\nHTTP\/1\.1 200 OK/);

  const junk = await exchange(get('/junk') + get('/length'), (t) => t.endsWith('hello'));
  assert.match(junk.text, /^HTTP\/1\.1 204 No Content\r\n\r\nHTTP\/1\.1 200 OK/, 'stray bytes after a response are dropped with its connection');

  const untilClose = await exchange(get('/close') + get('/length'));
  assert.ok(untilClose.closed);
  assert.match(untilClose.text, /^HTTP\/1\.1 200 OK\r\nContent-Type: text\/plain\r\nconnection: close\r\n\r\nuntil close$/);
});

test('an upstream response with ambiguous framing becomes a 502', async () => {
  const p = await rawUpstream((s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'));
  await app('ambiguous', p);
  const r = await exchange('GET / HTTP/1.1\r\nHost: ambiguous.localhost\r\n\r\n', (t) => t.includes('</html>'));
  assert.match(r.text, /^HTTP\/1\.1 502 Bad Gateway/);
});

test('requests the fast path does not take are served by node:http on the same connection', async () => {
  const u = await upstream('general', (req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => res.end(`${req.method} ${req.url} got ${JSON.stringify(body)}`));
  });
  await app('general', u.port);
  const chunked = 'POST /c HTTP/1.1\r\nHost: general.localhost\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwiki\r\n0\r\n\r\n';
  const after = 'GET /after HTTP/1.1\r\nHost: general.localhost\r\n\r\n';
  const fastFirst = await exchange(after + chunked + after, (t) => count(t, 'GET /after got') === 2);
  assert.match(fastFirst.text, /GET \/after got ""[\s\S]*POST \/c got "wiki"[\s\S]*GET \/after got ""/);
  const old = await exchange('GET /old HTTP/1.0\r\nHost: general.localhost\r\n\r\n');
  assert.match(old.text, /^HTTP\/1\.1 200[\s\S]*GET \/old got ""$/);
});

test('request smuggling attempts are refused by node:http (400), not forwarded', async () => {
  let forwarded = 0;
  const u = await upstream('smuggle', (_req, res) => (forwarded++, res.end('ok')));
  await app('smuggle', u.port);
  for (const bad of [
    'POST / HTTP/1.1\r\nHost: smuggle.localhost\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /x HTTP/1.1\r\n\r\n',
    'POST / HTTP/1.1\r\nHost: smuggle.localhost\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde',
    'GET / HTTP/1.1\r\nHost: smuggle.localhost\r\nX-Bad: a\nb\r\n\r\n',
  ]) {
    const r = await exchange(bad);
    assert.match(r.text, /^HTTP\/1\.1 400/, JSON.stringify(bad));
  }
  assert.equal(forwarded, 0);
});

test('a large upload streams through whole; an answer before the body ends closes the connection', async () => {
  const u = await upstream('upload', (req, res) => {
    if (req.url === '/early') return res.writeHead(413, { connection: 'close' }).end('too large');
    const hash = createHash('sha256');
    let n = 0;
    req.on('data', (d: Buffer) => (hash.update(d), (n += d.length)));
    req.on('end', () => res.end(`${n} ${hash.digest('hex')}`));
  });
  await app('upload', u.port);
  const body = Buffer.alloc(8 * 1024 * 1024, 'yunbang');
  const want = `${body.length} ${createHash('sha256').update(body).digest('hex')}`;
  const head = `PUT /big HTTP/1.1\r\nHost: upload.localhost\r\nContent-Length: ${body.length}\r\n\r\n`;
  const r = await exchange(Buffer.concat([Buffer.from(head), body]), (t) => t.endsWith(want), 20_000);
  assert.match(r.text, /^HTTP\/1\.1 200/);

  const early = await exchange(`PUT /early HTTP/1.1\r\nHost: upload.localhost\r\nContent-Length: ${body.length}\r\n\r\nabc`);
  assert.ok(early.closed);
  assert.match(early.text, /^HTTP\/1\.1 413[\s\S]*connection: close\r\n\r\n9\r\ntoo large\r\n0\r\n\r\n$/i);
});

test('a large download to a slow client streams through whole, the upstream held back while the client lags, and the connection closes after it', {
  timeout: 30_000,
}, async () => {
  const chunk = Buffer.alloc(64 * 1024);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31) & 0xff;
  const total = 1024 * chunk.length; // 64 MiB: far more than the kernel buffers between the two ends
  let readWhenSent = -1;
  let read = 0;
  const u = await upstream('download', (_req, res) => {
    res.writeHead(200, { 'content-length': total });
    let sent = 0;
    const more = (): void => {
      while (sent < total) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', more);
      }
      readWhenSent = read;
      res.end();
    };
    more();
  });
  await app('download', u.port);
  const hash = createHash('sha256');
  const want = createHash('sha256');
  for (let i = 0; i < total / chunk.length; i++) want.update(chunk);
  await new Promise<void>((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let head = '';
    s.on('data', (d: Buffer) => {
      if (head === '' || !head.includes('\r\n\r\n')) {
        head += d.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end === -1) return;
        d = d.subarray(d.length - (head.length - end - 4));
      }
      hash.update(d);
      read += d.length;
      s.pause(); // about 64 KiB per millisecond at most: slower than the upstream writes
      setTimeout(() => s.resume(), 1);
    });
    s.on('error', reject);
    // The router closes after the response (Connection: close) while bytes still wait to be sent: they all arrive first.
    s.on('end', () => (read === total ? resolve() : reject(new Error(`ended after ${read} bytes`))));
    s.write('GET /big HTTP/1.1\r\nHost: download.localhost\r\nConnection: close\r\n\r\n');
  });
  assert.equal(hash.digest('hex'), want.digest('hex'));
  // Without backpressure the upstream would have been done long before the client had read most of it.
  assert.ok(readWhenSent > total / 2, `the upstream finished when the client had read ${readWhenSent} of ${total} bytes`);
});

test('unknown hosts are answered by the router itself and the connection stays usable', async () => {
  const u = await upstream('known');
  await app('known', u.port);
  const r = await exchange(
    'GET / HTTP/1.1\r\nHost: nowhere.localhost\r\nX-Request-Id: mine-1\r\n\r\n' +
      'POST / HTTP/1.1\r\nHost: nowhere.localhost\r\nContent-Length: 4\r\n\r\nbody' +
      'GET / HTTP/1.1\r\nHost: known.localhost\r\n\r\n',
    (t) => t.includes('"name":"known"'),
  );
  assert.match(r.text, /^HTTP\/1\.1 404 Not Found\r\n[\s\S]*x-request-id: mine-1[\s\S]*HTTP\/1\.1 404[\s\S]*HTTP\/1\.1 200/);
  assert.ok(!r.text.includes('connection: close'), 'a body read in full does not end the connection');
});

test('mangled requests and responses (seeded random mutations, random splits) never break the router', async () => {
  let seed = Number(process.env.FUZZ_SEED ?? 20261126);
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const mutate = (s: string) => {
    const b = Buffer.from(s, 'latin1');
    for (let k = rand(4); k >= 0; k--) {
      const i = rand(b.length);
      const op = rand(4);
      if (op === 0) b[i] = rand(256);
      else if (op === 1) b[i] = [13, 10, 32, 58, 0][rand(5)]!;
      else if (op === 2) return Buffer.concat([b.subarray(0, i), b.subarray(i + 1 + rand(8))]);
      else
        return Buffer.concat([
          b.subarray(0, i),
          Buffer.from(['\r\n', 'Content-Length: 3\r\n', 'Transfer-Encoding: chunked\r\n', '\r\n\r\n'][rand(4)]!),
          b.subarray(i),
        ]);
    }
    return b;
  };
  const responses = [
    'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
    'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n',
  ];
  const p = await rawUpstream((s) => {
    const bytes = mutate(responses[rand(responses.length)]!);
    const cut = rand(bytes.length);
    s.write(bytes.subarray(0, cut));
    setTimeout(() => (rand(5) === 0 ? s.destroy() : s.write(bytes.subarray(cut))), rand(3));
  });
  await app('mangled', p);
  const good = await upstream('steady');
  await app('steady', good.port);
  const requests = [
    'GET /a?b=c HTTP/1.1\r\nHost: mangled.localhost\r\nAccept: */*\r\n\r\n',
    'POST /p HTTP/1.1\r\nHost: mangled.localhost\r\nContent-Length: 4\r\n\r\nbody',
    'GET / HTTP/1.1\r\nHost: mangled.localhost\r\nConnection: close\r\nX-Request-Id: abc\r\n\r\n',
  ];
  for (let i = 0; i < 300; i++) {
    const bytes = Buffer.concat([mutate(requests[rand(requests.length)]!), Buffer.from(requests[0]!)]);
    // Any answer (or a closed connection) will do; what matters is what happens to the router.
    await exchange(bytes, (t) => t.length > 0 && rand(2) === 0, 2000).catch(() => undefined);
  }
  const after = await exchange('GET / HTTP/1.1\r\nHost: steady.localhost\r\n\r\n', (t) => t.includes('"name":"steady"'));
  assert.match(after.text, /^HTTP\/1\.1 200/);
});

test('request heads over the limit get 431 from node:http; response heads over it are a 502; the limit is a setting', async () => {
  const big = 'x'.repeat(20 * 1024);
  const p = await rawUpstream((s, got) => {
    if (got.startsWith('GET /big-response')) s.write(`HTTP/1.1 200 OK\r\nX-Big: ${big}\r\nContent-Length: 2\r\n\r\nok`);
    else s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
  });
  await app('heads', p);
  const tooBig = await exchange(`GET / HTTP/1.1\r\nHost: heads.localhost\r\nX-Big: ${big}\r\n\r\n`);
  assert.match(tooBig.text, /^HTTP\/1\.1 431/);
  const bigResponse = await exchange('GET /big-response HTTP/1.1\r\nHost: heads.localhost\r\n\r\n', (t) => t.includes('</html>'));
  assert.match(bigResponse.text, /^HTTP\/1\.1 502/);

  const roomy = await startTestRouter(etcd.etcd.endpoint, prefix, { maxHeaderBytes: 64 * 1024 });
  try {
    await roomy.waitPublished(router.publishedRevision());
    const s = connect(Number(new URL(roomy.url).port), '127.0.0.1');
    const text = await new Promise<string>((resolve, reject) => {
      let t = '';
      s.on('data', (d) => (t += d.toString('latin1')) && t.endsWith('ok') && resolve(t));
      s.on('error', reject);
      s.write(`GET /big-response HTTP/1.1\r\nHost: heads.localhost\r\nX-Big: ${big}\r\n\r\n`);
    });
    s.destroy();
    assert.match(text, /^HTTP\/1\.1 200 OK\r\nX-Big: x+\r\n/);
  } finally {
    await roomy.close();
  }
});

test('closing the router lets an in-flight request finish; fast-path connections are counted while open', { timeout: 10_000 }, async () => {
  let arrived!: () => void;
  const inFlight = new Promise<void>((r) => (arrived = r));
  const u = await upstream('closing', (_req, res) => (arrived(), setTimeout(() => res.end('late answer'), 300)));
  await app('closing', u.port);
  const r2 = await startTestRouter(etcd.etcd.endpoint, prefix);
  await r2.waitPublished(router.publishedRevision());
  const s = connect(Number(new URL(r2.url).port), '127.0.0.1');
  const answer = new Promise<string>((resolve, reject) => {
    let t = '';
    s.on('data', (d) => (t += d.toString('latin1')));
    s.on('close', () => resolve(t));
    s.on('error', reject);
  });
  s.write('GET / HTTP/1.1\r\nHost: closing.localhost\r\n\r\n');
  await inFlight;
  const metrics = await (await fetch(`http://127.0.0.1:${r2.addresses().admin.port}/metrics`)).text();
  assert.match(metrics, /^yb_router_open_connections 1$/m);
  await r2.close(); // waits for the connection: the response goes out, then the router closes it
  assert.match(await answer, /^HTTP\/1\.1 200[\s\S]*connection: close\r\n[\s\S]*late answer$/);
});
