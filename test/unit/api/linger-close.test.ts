// closeWhenAnswered (api/routes/git-hook.ts): an upload refused before its end gets its whole answer, keeps being
// read (and dropped) for a moment so the sender's writes do not fail while it has not read the answer yet, and is
// then cut. A real HTTP server and a raw TCP client on loopback.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { closeWhenAnswered } from '../../../src/api/routes/git-hook.js';

const server = createServer((req, res) => {
  // Refuses after the first chunk of the body, as a source past YB_MAX_UNPACKED_MB is refused mid-way.
  req.once('data', () => {
    req.pause();
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('refused: too large\n');
    closeWhenAnswered(req, res);
  });
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
after(() => server.close());

const writeAll = (s: Socket, data: Buffer) => new Promise<void>((resolve, reject) => s.write(data, (err) => (err ? reject(err) : resolve())));

test('the sender keeps writing without error after the answer, reads the whole answer, and is cut off afterwards', async () => {
  const s = connect((server.address() as AddressInfo).port, '127.0.0.1');
  let received = '';
  let error: Error | undefined;
  const closed = new Promise<number>((resolve) => s.on('close', () => resolve(Date.now())));
  s.on('error', (err) => {
    error = err;
  });
  await new Promise((r) => s.once('connect', r));
  s.pause(); // the sender does not read the answer while it sends (curl, busy uploading)
  const chunk = Buffer.alloc(64 * 1024, 'x');
  await writeAll(s, Buffer.from(`POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: ${1024 * 1024 * 1024}\r\n\r\n`));
  await writeAll(s, chunk);
  await sleep(200); // the answer is out and the server has stopped wanting the body
  const until = Date.now() + 500;
  let sent = 0;
  while (Date.now() < until) {
    await writeAll(s, chunk); // with an immediate close these writes fail: EPIPE / ECONNRESET
    sent += chunk.length;
  }
  assert.equal(error, undefined, 'writing after the answer did not fail');
  assert.ok(sent > 1024 * 1024, `the server kept reading (${sent} bytes)`);
  s.on('data', (d: Buffer) => {
    received += d.toString();
  });
  s.resume();
  const at = Date.now();
  const end = await closed;
  assert.match(received, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n(13\r\n)?refused: too large\n/);
  assert.ok(end - at < 3000, `the connection was cut after the linger (${end - at} ms)`);
});
