import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChunkedDecoder } from '../../../src/router/h1-dechunk.js';

const body = Buffer.from('5;ext="a b"\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nx-trailer: 1\r\n\r\n', 'latin1');

test('the data of a chunked body, without sizes, extensions and trailers', () => {
  const out = new ChunkedDecoder().decode(body, 0, body.length);
  assert.equal(Buffer.concat(out).toString(), 'helloabcdefghijklmnopqrstuvwxyz');
});

test('the same data whatever the split of the bytes into reads', () => {
  for (let size = 1; size <= body.length; size++) {
    const d = new ChunkedDecoder();
    const parts: Buffer[] = [];
    for (let i = 0; i < body.length; i += size) parts.push(...d.decode(body, i, Math.min(i + size, body.length)));
    assert.equal(Buffer.concat(parts).toString(), 'helloabcdefghijklmnopqrstuvwxyz', `reads of ${size} bytes`);
  }
});

test('nothing after the last chunk, and only the range asked for', () => {
  const d = new ChunkedDecoder();
  const buf = Buffer.from('HTTP/1.1 200 OK\r\n\r\n3\r\nabc\r\n0\r\n\r\nnext', 'latin1');
  assert.equal(Buffer.concat(d.decode(buf, 19, buf.length)).toString(), 'abc');
});
