// One proxy process's HTTP listener: wires the proxy and upgrade handlers to a node:http server, counts client
// connections and closes gracefully (stop accepting, let in-flight requests finish, then cut what is left).
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Addr } from '../config/load.js';
import { createProxy, type ProxyContext } from './proxy.js';
import { createUpgradeProxy } from './upgrade.js';

export interface ProxyServer {
  server: Server;
  address(): Addr;
  /** Stops accepting; resolves when in-flight requests finished or `graceMs` passed (then cuts the rest). */
  close(graceMs: number): Promise<void>;
}

export async function startProxyServer(ctx: ProxyContext, listen: Addr, opts: { keepAliveMs: number; connectTimeoutMs: number }): Promise<ProxyServer> {
  const server = createServer({ keepAliveTimeout: opts.keepAliveMs, requestTimeout: 0, noDelay: true }, createProxy(ctx));
  server.headersTimeout = 60_000;
  const upgrades = new Set<Socket>();
  const onUpgrade = createUpgradeProxy(ctx, opts.connectTimeoutMs);
  server.on('upgrade', (req, socket: Socket, head) => {
    upgrades.add(socket);
    socket.once('close', () => upgrades.delete(socket));
    onUpgrade(req, socket, head);
  });
  server.on('connection', (socket: Socket) => {
    ctx.metrics.openConnections++;
    socket.once('close', () => ctx.metrics.openConnections--);
  });
  server.on('clientError', (_err, socket: Socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    address() {
      const a = server.address();
      return typeof a === 'object' && a ? { host: a.address, port: a.port } : listen;
    },
    async close(graceMs) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => {
        server.closeAllConnections();
        for (const s of upgrades) s.destroy();
      }, graceMs);
      ctx.draining = true;
      await closed; // upgraded connections count too: they end with the grace period at the latest
      clearTimeout(timer);
    },
  };
}
