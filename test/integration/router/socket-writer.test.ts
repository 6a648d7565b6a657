import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import { SocketWriter, directWritesAvailable } from '../../../src/router/socket-writer.js';

/** A connected loopback pair: `client` (ours, written to) and `peer` (the accepted end, read from). */
async function pair(allowHalfOpen = false): Promise<{ client: Socket; peer: Socket; close(): void }> {
  const server = createServer({ noDelay: true });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const accepted = once(server, 'connection');
  const client = connect({ host: '127.0.0.1', port, noDelay: true, allowHalfOpen });
  await once(client, 'connect');
  const [peer] = (await accepted) as [Socket];
  return {
    client,
    peer,
    close() {
      client.destroy();
      peer.destroy();
      server.close();
    },
  };
}

function readAll(s: Socket): Promise<Buffer> {
  const parts: Buffer[] = [];
  s.on('data', (b: Buffer) => parts.push(b));
  return once(s, 'end').then(() => Buffer.concat(parts));
}

test('the internal bindings are there (else every write takes socket.write)', () => {
  assert.ok(directWritesAvailable);
});

test('direct and stream writes (corked, strings as latin1, buffers) keep their order', async () => {
  const { client, peer, close } = await pair();
  try {
    const got = readAll(peer);
    const w = new SocketWriter(client, () => undefined);
    const expected: Buffer[] = [];
    const put = (data: string | Buffer) => {
      expected.push(typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data));
      w.write(data);
    };
    for (let i = 0; i < 200; i++) {
      put(`head ${i} \xe9\xff\r\n`);
      if (i % 3 === 0) put(Buffer.alloc(i * 97, i));
      if (i % 7 === 0) {
        client.cork();
        put(`corked ${i}`);
        put(Buffer.alloc(40_000, i)); // large enough to leave bytes waiting now and then
        client.uncork();
      }
      if (i % 11 === 0) {
        const b = Buffer.from(`via socket.write ${i}`);
        expected.push(b);
        client.write(b);
      }
    }
    client.end();
    assert.deepEqual(await got, Buffer.concat(expected));
  } finally {
    close();
  }
});

test('backpressure: false once a highWaterMark of bytes waits in libuv, onDrain when it left, bytes intact', async () => {
  const { client, peer, close } = await pair();
  try {
    peer.pause();
    let drained = 0;
    let resolveDrain!: () => void;
    const w = new SocketWriter(client, () => {
      drained++;
      resolveDrain();
    });
    const chunk = (i: number) => Buffer.alloc(64 * 1024, i & 0xff);
    let i = 0;
    while (w.write(chunk(i++)) && i < 10_000);
    assert.ok(i < 10_000, 'write() returned false once the socket buffers were full');
    assert.equal(w.needDrain, true);
    assert.equal(client.writableLength, 0, 'the waiting bytes are in libuv, not in the stream');
    const waited = new Promise<void>((r) => (resolveDrain = r));
    const got = readAll(peer);
    peer.resume();
    await waited;
    assert.equal(drained, 1);
    assert.equal(w.needDrain, false);
    w.write('end');
    client.end();
    const all = await got;
    assert.equal(all.length, i * 64 * 1024 + 3);
    for (let k = 0; k < i; k++) assert.equal(all[k * 64 * 1024 + 1234], k & 0xff);
    assert.equal(all.subarray(-3).toString(), 'end');
  } finally {
    close();
  }
});

test('a write to a connection the peer closed destroys the socket with the write error', async () => {
  const { client, peer, close } = await pair(true); // the peer's FIN alone does not end our side
  try {
    const failed = new Promise<NodeJS.ErrnoException>((resolve) => client.on('error', resolve));
    peer.destroy();
    await once(peer, 'close');
    const w = new SocketWriter(client, () => undefined);
    for (let k = 0; k < 100 && !client.destroyed; k++) {
      w.write(Buffer.alloc(1024));
      await new Promise((r) => setTimeout(r, 5));
    }
    const err = await failed;
    assert.match(err.code ?? '', /^(EPIPE|ECONNRESET)$/);
    assert.equal(err.syscall, 'write');
    assert.equal(client.destroyed, true);
  } finally {
    close();
  }
});
