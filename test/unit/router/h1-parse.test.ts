import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequestHead, parseResponseHead, scanResponseHead, type ScannedResponseHead } from '../../../src/router/h1-parse.js';
import { ChunkedScanner } from '../../../src/router/h1-chunked.js';

const head = (...lines: string[]) => lines.join('\r\n');

test('a plain request head: hop-by-hop and router-set headers dropped, the rest kept in order', () => {
  const r = parseRequestHead(
    head(
      'GET /a?b=c HTTP/1.1',
      'Host: App.Example.com:8080',
      'Accept: */*',
      'Connection: keep-alive',
      'Keep-Alive: 5',
      'TE: trailers',
      'X-Forwarded-For: 10.0.0.1',
      'x-forwarded-for: 10.0.0.2',
      'X-Forwarded-Proto: https',
      'X-Request-Id: abc',
      'Cookie: a=b; c=d',
    ),
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
    CONNECT: head('CONNECT a:443 HTTP/1.1', 'host: a'),
    'extension method': head('PURGE / HTTP/1.1', 'host: a'),
    'absolute form': head('GET http://a/ HTTP/1.1', 'host: a'),
    'asterisk form': head('OPTIONS * HTTP/1.1', 'host: a'),
    'no host': head('GET / HTTP/1.1', 'accept: */*'),
    'empty host': head('GET / HTTP/1.1', 'host: '),
    'two hosts': head('GET / HTTP/1.1', 'host: a', 'host: b'),
    'host with user information': head('GET / HTTP/1.1', 'host: victim.localhost:80@evil'),
    'host with a path': head('GET / HTTP/1.1', 'host: victim.localhost/x'),
    'host with a space': head('GET / HTTP/1.1', 'host: victim localhost'),
    'host with a non-digit port': head('GET / HTTP/1.1', 'host: a:8o'),
    'chunked upload': head('POST / HTTP/1.1', 'host: a', 'transfer-encoding: chunked'),
    'length and chunked': head('POST / HTTP/1.1', 'host: a', 'content-length: 3', 'transfer-encoding: chunked'),
    'two lengths': head('POST / HTTP/1.1', 'host: a', 'content-length: 3', 'content-length: 3'),
    'signed length': head('POST / HTTP/1.1', 'host: a', 'content-length: +3'),
    'hex length': head('POST / HTTP/1.1', 'host: a', 'content-length: 0x3'),
    upgrade: head('GET / HTTP/1.1', 'host: a', 'connection: upgrade', 'upgrade: websocket'),
    expect: head('PUT / HTTP/1.1', 'host: a', 'expect: 100-continue', 'content-length: 1'),
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
  const r = parseResponseHead(
    head('HTTP/1.1 200 OK', 'Content-Type: text/plain', 'Content-Length: 5', 'Connection: keep-alive', 'Keep-Alive: timeout=5'),
    'GET',
  );
  assert.ok(typeof r !== 'string');
  assert.deepEqual(r, {
    status: 200,
    head: 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n',
    framing: 'length',
    length: 5,
    keepAlive: true,
    idleTimeoutMs: 5000,
  });
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
  for (const [status, method] of [
    ['200', 'HEAD'],
    ['204', 'GET'],
    ['304', 'GET'],
    ['103', 'GET'],
  ] as const) {
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
});

test('responses a client reads otherwise are refused (issue #14): repeated lengths, empty Transfer-Encoding elements', () => {
  const cases: Record<string, string> = {
    // llhttp (node:http's client) refuses these, nginx too: relaying them would only break the client.
    'equal lengths': head('HTTP/1.1 200 OK', 'Content-Length: 5', 'Content-Length: 5'),
    'equal lengths on a 204': head('HTTP/1.1 204 No Content', 'Content-Length: 0', 'Content-Length: 0'),
    // llhttp reads these as chunked; framed until close, the rest of the connection would be body to the router.
    'chunked, then an empty line': head('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked', 'Transfer-Encoding: '),
    'an empty line, then chunked': head('HTTP/1.1 200 OK', 'Transfer-Encoding:', 'Transfer-Encoding: chunked'),
    'an empty element first': head('HTTP/1.1 200 OK', 'Transfer-Encoding: , chunked'),
    'an empty element last': head('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked,'),
    'an empty element between': head('HTTP/1.1 200 OK', 'Transfer-Encoding: gzip,, chunked'),
  };
  for (const [name, text] of Object.entries(cases)) {
    assert.equal(typeof parseResponseHead(text, 'GET'), 'string', name);
    assert.equal(scanResponseHead(Buffer.from(`${text}\r\n\r\n`, 'latin1'), 'GET'), undefined, name);
  }
  const listed = parseResponseHead(head('HTTP/1.1 200 OK', 'Transfer-Encoding: gzip', 'Transfer-Encoding: chunked'), 'GET');
  assert.ok(typeof listed !== 'string' && listed.framing === 'chunked', 'codings over two lines are one list');
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

test('chunked framing llhttp refuses is refused (issue #14): the router never relays a body a client may end elsewhere', () => {
  const bad = [
    '5 \r\n',
    '5\t\r\n',
    '5 ;a=b\r\n',
    '0;\r\n',
    '5; a=b\r\n',
    '5;a = b\r\n',
    '5;a=b c\r\n',
    '5;a=\xe9\r\n',
    '5;a="b"c\r\n',
    '5;a="x\\\r\n',
    '5;a\x00\r\n',
    '5;a\nhello',
    '-5\r\n',
    '0x5\r\n',
    '10000000000000\r\n',
    '0\r\n\n',
    '0\r\n\nGET / HTTP/1.1\r\n',
    '0\r\nX y\r\n',
    '0\r\n folded\r\n',
    '0\r\nX: a\x01\r\n',
    '0\r\nX: a\nY: b\r\n',
    '0\r\nX : y\r\n',
    '0\r\nContent-Length: 5\r\n',
    '0\r\ntransfer-encoding: chunked\r\n',
  ];
  for (const text of bad) assert.equal(new ChunkedScanner().scan(Buffer.from(text, 'latin1')), -2, JSON.stringify(text));
  const good = [
    '00000000000000000005\r\nhello\r\n0\r\n\r\n',
    '5;a=b;c;;d="e \\" f\xe9"\r\nhello\r\n0;x=\r\n\r\n',
    '0\r\nX:\r\nContent-Lengthy: 1\r\nY: a\tb \xe9\r\n\r\n',
  ];
  for (const text of good) assert.equal(new ChunkedScanner().scan(Buffer.from(text, 'latin1')), Buffer.byteLength(text, 'latin1'), JSON.stringify(text));
});

/** The head a scan leaves for the client: the bytes before the blank line without the dropped ranges, as text. */
function keptHead(bytes: Buffer, end: number, scanned: ScannedResponseHead): string {
  const drops = scanned.drops ?? [];
  let out = '';
  let from = 0;
  for (let k = 0; k < drops.length; k += 2) {
    out += bytes.toString('latin1', from, drops[k]);
    from = drops[k + 1]!;
  }
  return out + bytes.toString('latin1', from, end + 2);
}

/** scanResponseHead beside parseResponseHead on one head: undefined when the scan left it to the parser. */
function scanAndCompare(text: string, method: string): ScannedResponseHead | undefined {
  const bytes = Buffer.from(`${text}\r\n\r\n`, 'latin1');
  const end = bytes.indexOf('\r\n\r\n');
  const scanned = scanResponseHead(bytes, method);
  for (const cut of [0, 1, 12, end, end + 3]) assert.equal(scanResponseHead(bytes.subarray(0, cut), method), undefined, 'a head not all there');
  if (scanned === undefined) return undefined;
  assert.equal(scanned.end, end);
  const parsed = parseResponseHead(bytes.toString('latin1', 0, end), method);
  assert.ok(typeof parsed !== 'string', `the scan took a head the parser refuses (${parsed}): ${JSON.stringify(text)}`);
  const { drops: _, end: _end, ...rest } = scanned;
  const { head: parsedHead, ...parsedRest } = parsed;
  assert.deepEqual(rest, parsedRest, JSON.stringify(text));
  assert.equal(keptHead(bytes, end, scanned), parsedHead, JSON.stringify(text));
  return scanned;
}

test('response heads read from their bytes: the common ones are taken, each as parseResponseHead reads it', () => {
  const nginx = head(
    'HTTP/1.1 200 OK',
    'Server: nginx/1.22.1',
    'Date: Thu, 26 Nov 2026 12:00:00 GMT',
    'Content-Type: text/plain',
    'Content-Length: 2',
    'Connection: keep-alive',
  );
  const node = head(
    'HTTP/1.1 200 OK',
    'Content-Type: application/json; charset=utf-8',
    'Date: Thu, 26 Nov 2026 12:00:00 GMT',
    'Connection: keep-alive',
    'Keep-Alive: timeout=5',
    'Transfer-Encoding: chunked',
  );
  for (const text of [
    nginx,
    node,
    'HTTP/1.1 204',
    head('HTTP/1.0 200 OK', 'Content-Length: 1', 'Connection: keep-alive'),
    head('HTTP/1.1 304 Not Modified', 'ETag: "x"'),
    head('HTTP/1.1 200 \xe9t\xe9', 'X: \xff\t y'),
  ]) {
    assert.ok(scanAndCompare(text, 'GET'), JSON.stringify(text));
  }
  assert.deepEqual(scanAndCompare(node, 'GET')?.drops?.length, 4, 'Connection and Keep-Alive dropped');
  assert.equal(scanAndCompare(head('HTTP/1.1 200 OK', 'Content-Length: 5'), 'HEAD')?.framing, 'none');
});

test('response heads read from their bytes: 20,000 random heads agree with parseResponseHead or are left to it', () => {
  let seed = 42;
  const rand = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
  const pick = <T>(xs: readonly T[]) => xs[rand(xs.length)]!;
  const names = [
    'Content-Length',
    'content-length',
    'CONTENT-LENGTH',
    'Transfer-Encoding',
    'Connection',
    'connection',
    'Keep-Alive',
    'Proxy-Connection',
    'Upgrade',
    'Content-Type',
    'X-A',
    'Set-Cookie',
    'Contentlength',
    'Keep_Alive',
    'Conn ection',
    '',
    'Te',
    'Trailer',
  ];
  const values = [
    '0',
    '5',
    ' 12 ',
    '007',
    '-1',
    '1e3',
    '99999999999999999',
    'chunked',
    'gzip, chunked',
    'chunked, gzip',
    'close',
    'keep-alive',
    'Keep-Alive, Upgrade',
    ' close , x',
    'timeout=5',
    'max=3, timeout=10',
    'text/plain',
    '\xe9',
    'a\x7fb',
    'a\x01b',
    '',
    ' ',
    '\t',
  ];
  const statuses = [
    'HTTP/1.1 200 OK',
    'HTTP/1.0 200 OK',
    'HTTP/1.1 204 No Content',
    'HTTP/1.1 304',
    'HTTP/1.1 101 Switching',
    'HTTP/1.1 103 Early Hints',
    'HTTP/1.1 500 \xe9',
    'HTTP/1.1 20 OK',
    'HTTP/1.2 200 OK',
    'HTTP/1.1 200OK',
    'http/1.1 200 OK',
  ];
  let taken = 0;
  for (let n = 0; n < 20_000; n++) {
    const lines = [pick(statuses)];
    for (let k = rand(6); k > 0; k--) lines.push(`${pick(names)}:${pick(values)}`);
    if (rand(20) === 0) lines.push(' folded');
    if (scanAndCompare(head(...lines), pick(['GET', 'HEAD', 'POST']))) taken++;
  }
  assert.ok(taken > 5000, `the scan took ${taken} of 20,000`);
});
