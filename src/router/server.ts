// One proxy process's HTTP (or HTTPS) listener: new connections start on the byte-level fast path (h1-proxy.ts),
// which hands what it does not serve to node:http(s) with the general proxy and upgrade handlers. Counts client
// connections and closes gracefully (stop accepting, let in-flight requests finish, then cut the rest).
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions as HttpsOptions } from 'node:https';
import type { Socket } from 'node:net';
import type { Addr } from '../config/load.js';
import { createProxy, type ProxyContext } from './proxy.js';
import { createUpgradeProxy } from './upgrade.js';
import { ClientConnection } from './h1-proxy.js';
import type { RequestHandler } from './tls-redirect.js';

export interface ProxyServer {
  server: Server;
  address(): Addr;
  /** Stops accepting; resolves when in-flight requests finished or `graceMs` passed (then cuts the rest). */
  close(graceMs: number): Promise<void>;
}

export interface ProxyServerOptions {
  keepAliveMs: number;
  connectTimeoutMs: number;
  /** Serve HTTPS with these TLS options (certificates by SNI) instead of plain HTTP. */
  tls?: HttpsOptions;
  /** Wraps the proxy's request handler (the HTTP listener's https-only redirect). */
  front?: (proxy: RequestHandler) => RequestHandler;
  /** Serve every request through node:http (no fast path): for comparison in bench/router. */
  noFastPath?: boolean;
}

export async function startProxyServer(ctx: ProxyContext, listen: Addr, opts: ProxyServerOptions): Promise<ProxyServer> {
  const proxy = createProxy(ctx);
  const handler = opts.front ? opts.front(proxy) : proxy;
  const base = { keepAliveTimeout: opts.keepAliveMs, requestTimeout: 0, noDelay: true };
  const server: Server = opts.tls ? createHttpsServer({ ...base, ...opts.tls }, handler) : createServer(base, handler);
  server.headersTimeout = 60_000;
  const upgrades = new Set<Socket>();
  const onUpgrade = createUpgradeProxy(ctx, opts.connectTimeoutMs);
  server.on('upgrade', (req, socket: Socket, head) => {
    upgrades.add(socket);
    socket.once('close', () => upgrades.delete(socket));
    onUpgrade(req, socket, head);
  });
  const fast = new Set<ClientConnection>();
  if (!opts.noFastPath) {
    // node:http's own listener for new connections (`secureConnection` for TLS) becomes the fast path's fallback.
    const event = opts.tls ? 'secureConnection' : 'connection';
    const [general] = server.listeners(event) as ((socket: Socket) => void)[];
    if (general === undefined) throw new Error(`node:http registered no ${event} listener`);
    server.removeAllListeners(event);
    const fastOpts = { keepAliveMs: opts.keepAliveMs, connectTimeoutMs: opts.connectTimeoutMs, fallback: (socket: Socket) => general.call(server, socket) };
    const forget = (c: ClientConnection) => fast.delete(c);
    server.on(event, (socket: Socket) => void fast.add(new ClientConnection(ctx, socket, fastOpts, forget)));
  }
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
      ctx.draining = true;
      for (const c of fast) c.drain();
      const timer = setTimeout(() => {
        server.closeAllConnections();
        for (const s of upgrades) s.destroy();
        for (const c of fast) c.destroy();
      }, graceMs);
      await closed; // upgraded connections count too: they end with the grace period at the latest
      clearTimeout(timer);
    },
  };
}
