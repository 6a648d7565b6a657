import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequestHead, parseResponseHead, ChunkedScanner } from '../../../src/router/h1-parse.js';

const head = (...lines: string[]) => lines.join('\r\n');

test('a plain request head: hop-by-hop and router-set headers dropped, the rest kept in order', () => {
  const r = parseRequestHead(
    head('GET /a?b=c HTTP/1.1', 'Host: App.Example.com:8080', 'Accept: */*', 'Connection: keep-alive', 'Keep-Alive: 5', 'TE: trailers',
      'X-Forwarded-For: 10.0.0.1', 'x-forwarded-for: 10.0.0.2', 'X-Forwarded-Proto: https', 'X-Request-Id: abc', 'Cookie: a=b; c=d'),
  );
  assert.ok(r);
  assert.equal(r.method, 'GET');
  assert.equal(r.target, '/a?b=c');
  assert.equal(r.host, 'App.Example.com:8080');
  assert.equal(r.contentLength, 0);
  assert.equal(r.close, false);
  assert.equal(r.requestId, 'abc');
  assert.equal(r.forwardedFor, '10.0.0.1, 10.0.0.2');
  assert.equal(r.headers, 'Host: App.Example.com:8080\r\nAccept: */*\r\nCookie: a=b; c=d\r\n');
});

test('Content-Length and Connection: close are understood', () => {
  const r = parseRequestHead(head('POST /x HTTP/1.1', 'host: a', 'content-length:  12 ', 'connection: Keep-Alive, close'));
  assert.equal(r?.contentLength, 12);
  assert.equal(r?.close, true);
  assert.equal(r?.headers, 'host: a\r\ncontent-length:  12 \r\n');
});

test('implausible request ids are replaced, not forwarded', () => {
  assert.equal(parseRequestHead(head('GET / HTTP/1.1', 'host: a', `x-request-id: ${'x'.repeat(201)}`))?.requestId, undefined);
  assert.equal(parseRequestHead(head('GET / HTTP/1.1', 'host: a', 'x-request-id:'))?.requestId, undefined);
});

test('requests the fast path leaves to node:http', () => {
  const cases: Record<string, string> = {
    'HTTP/1.0': head('GET / HTTP/1.0', 'host: a'),
    'CONNECT': head('CONNECT a:443 HTTP/1.1', 'host: a'),
    'extension method': head('PURGE / HTTP/1.1', 'host: a'),
    'absolute form': head('GET http://a/ HTTP/1.1', 'host: a'),
    'asterisk form': head('OPTIONS * HTTP/1.1', 'host: a'),
    'no host': head('GET / HTTP/1.1', 'accept: */*'),
    'empty host': head('GET / HTTP/1.1', 'host: '),
    'two hosts': head('GET / HTTP/1.1', 'host: a', 'host: b'),
    'chunked upload': head('POST / HTTP/1.1', 'host: a', 'transfer-encoding: chunked'),
    'length and chunked': head('POST / HTTP/1.1', 'host: a', 'content-length: 3', 'transfer-encoding: chunked'),
    'two lengths': head('POST / HTTP/1.1', 'host: a', 'content-length: 3', 'content-length: 3'),
    'signed length': head('POST / HTTP/1.1', 'host: a', 'content-length: +3'),
    'hex length': head('POST / HTTP/1.1', 'host: a', 'content-length: 0x3'),
    'upgrade': head('GET / HTTP/1.1', 'host: a', 'connection: upgrade', 'upgrade: websocket'),
    'expect': head('PUT / HTTP/1.1', 'host: a', 'expect: 100-continue', 'content-length: 1'),
    'other connection option': head('GET / HTTP/1.1', 'host: a', 'connection: x-secret'),
    'folded header': head('GET / HTTP/1.1', 'host: a', 'x-a: b', ' c'),
    'space before colon': head('GET / HTTP/1.1', 'host : a'),
    'no colon': head('GET / HTTP/1.1', 'host: a', 'garbage'),
    'control character in value': head('GET / HTTP/1.1', 'host: a', 'x-a: b\x00c'),
    'bare LF in value': head('GET / HTTP/1.1', 'host: a', 'x-a: b\nx-b: c'),
    'space in target': 'GET /a b HTTP/1.1\r\nhost: a',
    'non-ASCII target': head('GET /\xe9 HTTP/1.1', 'host: a'),
    'lower-case version': head('GET / http/1.1', 'host: a'),
    'extra space': head('GET  / HTTP/1.1', 'host: a'),
  };
  for (const [name, text] of Object.entries(cases)) assert.equal(parseRequestHead(text), undefined, name);
});

test('response heads: framing, keep-alive, hop-by-hop headers dropped', () => {
  const r = parseResponseHead(head('HTTP/1.1 200 OK', 'Content-Type: text/plain', 'Content-Length: 5', 'Connection: keep-alive', 'Keep-Alive: timeout=5'), 'GET');
  assert.ok(typeof r !== 'string');
  assert.deepEqual(r, { status: 200, head: 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n', framing: 'length', length: 5, keepAlive: true, idleTimeoutMs: 5000 });
  const chunked = parseResponseHead(head('HTTP/1.1 200 OK', 'Transfer-Encoding: gzip, chunked'), 'GET');
  assert.ok(typeof chunked !== 'string' && chunked.framing === 'chunked' && chunked.keepAlive && chunked.head.includes('Transfer-Encoding'));
  const untilClose = parseResponseHead(head('HTTP/1.1 200 OK', 'Content-Type: text/plain'), 'GET');
  assert.ok(typeof untilClose !== 'string' && untilClose.framing === 'close' && !untilClose.keepAlive);
  const closing = parseResponseHead(head('HTTP/1.1 200 OK', 'Content-Length: 0', 'Connection: close'), 'GET');
  assert.ok(typeof closing !== 'string' && !closing.keepAlive && closing.framing === 'length');
  const old = parseResponseHead(head('HTTP/1.0 200 OK', 'Content-Length: 1'), 'GET');
  assert.ok(typeof old !== 'string' && !old.keepAlive);
  const oldKept = parseResponseHead(head('HTTP/1.0 200 OK', 'Content-Length: 1', 'Connection: keep-alive'), 'GET');
  assert.ok(typeof oldKept !== 'string' && oldKept.keepAlive);
});

test('responses without a body: HEAD, 1xx, 204, 304', () => {
  for (const [status, method] of [['200', 'HEAD'], ['204', 'GET'], ['304', 'GET'], ['103', 'GET']] as const) {
    const r = parseResponseHead(head(`HTTP/1.1 ${status} X`, 'Content-Length: 10'), method);
    assert.ok(typeof r !== 'string' && r.framing === 'none', `${status} ${method}`);
  }
  const bare = parseResponseHead('HTTP/1.1 204', 'GET');
  assert.ok(typeof bare !== 'string' && bare.status === 204 && bare.head === 'HTTP/1.1 204\r\n');
});

test('responses the router refuses to relay', () => {
  const cases: Record<string, string> = {
    'length and chunked': head('HTTP/1.1 200 OK', 'Content-Length: 5', 'Transfer-Encoding: chunked'),
    'differing lengths': head('HTTP/1.1 200 OK', 'Content-Length: 5', 'Content-Length: 6'),
    'bad length': head('HTTP/1.1 200 OK', 'Content-Length: -1'),
    'bad status line': head('HTTP/2 200', 'Content-Length: 0'),
    'short status': head('HTTP/1.1 20 OK', 'Content-Length: 0'),
    'malformed header': head('HTTP/1.1 200 OK', 'Content Length: 0'),
  };
  for (const [name, text] of Object.entries(cases)) assert.equal(typeof parseResponseHead(text, 'GET'), 'string', name);
  const same = parseResponseHead(head('HTTP/1.1 200 OK', 'Content-Length: 5', 'Content-Length: 5'), 'GET');
  assert.ok(typeof same !== 'string' && same.length === 5, 'repeated equal lengths are one length');
});

test('chunked bodies: the end is found wherever the bytes are split', () => {
  const body = Buffer.from('5\r\nhello\r\n6;ext=1\r\n world\r\nA\r\n0123456789\r\n0\r\nX-Trailer: yes\r\n\r\n');
  const next = Buffer.from('HTTP/1.1 200 OK');
  const all = Buffer.concat([body, next]);
  assert.equal(new ChunkedScanner().scan(all), body.length);
  for (let cut = 1; cut < body.length; cut++) {
    const s = new ChunkedScanner();
    assert.equal(s.scan(all.subarray(0, cut)), -1, `cut ${cut}`);
    assert.equal(s.scan(all.subarray(cut)), body.length - cut, `cut ${cut}`);
  }
  const byByte = new ChunkedScanner();
  let end = -1;
  for (let i = 0; i < body.length && end === -1; i++) end = byByte.scan(body.subarray(i, i + 1));
  assert.equal(end, 1);
  assert.equal(new ChunkedScanner().scan(Buffer.from('0\r\n\r\n')), 5);
});

test('broken chunked framing is reported', () => {
  for (const bad of ['x\r\n', '5\r\nhelloX', '5\nhello', '1234567890abc\r\n', '0\r\n\r\r', ';\r\n']) {
    assert.equal(new ChunkedScanner().scan(Buffer.from(bad)), -2, JSON.stringify(bad));
  }
});
