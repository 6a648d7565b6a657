// Bench-only floor: the least a Node proxy can do per request on this machine. Each client connection gets its
// own upstream connection and bytes are copied both ways as they come (reads into one shared buffer, one write
// per read): no HTTP parsing, routing, headers, pooling or logging. argv: <listen port> <upstream port>.
import { createServer, connect, Socket, type SocketConstructorOpts } from 'node:net';

const [port, upstream] = process.argv.slice(2).map(Number);
const shared = Buffer.allocUnsafe(64 * 1024);

/** Reads into the shared buffer, each read's bytes copied and written to `to()`. */
function relay(to: () => Socket) {
  return {
    buffer: shared,
    callback: (n: number, buf: Buffer) => {
      to().write(Buffer.from(buf.subarray(0, n)));
      return true;
    },
  };
}

const server = createServer({ pauseOnConnect: true, noDelay: true }, (raw) => {
  let up!: Socket;
  // The accepted socket re-wrapped to read into the shared buffer, as the router's fast path does.
  const handle = (raw as unknown as { _handle: unknown })._handle;
  (raw as unknown as { _handle: unknown })._handle = null;
  const client = new Socket({ handle, onread: relay(() => up) } as SocketConstructorOpts);
  up = connect({ host: '127.0.0.1', port: upstream!, noDelay: true, onread: relay(() => client) });
  client.on('error', () => up.destroy());
  up.on('error', () => client.destroy());
  client.on('close', () => up.destroy());
  up.on('close', () => client.destroy());
});
server.listen(port, '127.0.0.1', () => process.stderr.write(`READY ${port}\n`));
