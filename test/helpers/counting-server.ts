// A TCP server on 127.0.0.1 that counts connections and answers anything with a small HTTP body, as a metadata
// service or a loopback-only admin port would: the target of the outbound attacks, which must see no connection.
import { createServer, type Server, type Socket } from 'node:net';

export interface CountingServer {
  port: number;
  /** Connections accepted so far. */
  connections(): number;
  close(): void;
}

export async function countingServer(body = 'secret\n'): Promise<CountingServer> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    connections++;
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
    s.once('data', () => s.end(`HTTP/1.1 200 OK\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    connections: () => connections,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}
