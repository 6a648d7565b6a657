// One proxy process's HTTP (or HTTPS) listener: new HTTP/1.1 connections start on the byte-level fast path
// (h1-proxy.ts), which hands what it does not serve to node:http with the general proxy and upgrade handlers; TLS
// clients that negotiate HTTP/2 (ALPN h2) are served stream by stream on node:http2's core API (h2-exchange.ts),
// which hands what it does not serve to node:http2's compatibility layer and the general proxy; request targets and
// Host are settled first (target-front.ts). Counts client connections and closes gracefully (stop accepting,
// let in-flight requests finish, then cut the rest).
import { createServer, type IncomingMessage } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import {
  createSecureServer,
  type Http2Session,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type IncomingHttpHeaders,
  type SecureServerOptions,
  type ServerHttp2Stream,
} from 'node:http2';
import type { Server as NetServer, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Addr } from '../config/load.js';
import { createProxy, type ProxyContext } from './proxy.js';
import { createUpgradeProxy } from './upgrade.js';
import { refuseConnect, refuseUpgradeTarget, targetFront } from './target-front.js';
import { ClientConnection } from './h1-proxy.js';
import { takeStream } from './h2-exchange.js';
import { pauseOnConnect } from './shared-reads.js';
import type { RequestHandler } from './tls-redirect.js';

/** nginx's `http2_max_concurrent_streams`. */
export const H2_MAX_STREAMS = 128;

export interface ProxyServer {
  server: NetServer;
  address(): Addr;
  /** Stops accepting; resolves when in-flight requests finished or `graceMs` passed (then cuts the rest). */
  close(graceMs: number): Promise<void>;
}

export interface ProxyServerOptions {
  keepAliveMs: number;
  connectTimeoutMs: number;
  /** Serve HTTPS (HTTP/1.1 and HTTP/2) with these TLS options (certificates by SNI) instead of plain HTTP. */
  tls?: SecureServerOptions;
  /** Wraps the proxy's request handler (the HTTP listener's https-only redirect). */
  front?: (proxy: RequestHandler) => RequestHandler;
  /** With `tls`: offer HTTP/2 too (ALPN h2; streams on h2-exchange.ts, or node:http2's compatibility API with `noFastPath`). */
  http2?: boolean;
  /** Serve every request through node:http (no fast path): for comparison in bench/router. */
  noFastPath?: boolean;
  /** Bind with SO_REUSEPORT beside the other workers' sockets on the same port (workers.ts). */
  reusePort?: boolean;
}

export async function startProxyServer(ctx: ProxyContext, listen: Addr, opts: ProxyServerOptions): Promise<ProxyServer> {
  const proxy = createProxy(ctx);
  // Request targets and Host are settled (or refused) before anything routes by them.
  const handler = targetFront(ctx, opts.front ? opts.front(proxy) : proxy);
  const base = { keepAliveTimeout: opts.keepAliveMs, requestTimeout: 0, noDelay: true, maxHeaderSize: ctx.maxHeaderBytes };
  // node:http2's compatibility API gives the proxy request/response objects shaped like node:http's.
  const h2handler = handler as unknown as (req: Http2ServerRequest, res: Http2ServerResponse) => void;
  const server = !opts.tls
    ? createServer(base, handler)
    : opts.http2
      ? createSecureServer(
          // nginx's limits: 128 concurrent streams per connection (node:http2 allows 2^32 - 1), and the header list as
          // large as an HTTP/1.1 head may be.
          { allowHTTP1: true, settings: { maxHeaderListSize: ctx.maxHeaderBytes, maxConcurrentStreams: H2_MAX_STREAMS }, ...opts.tls },
          h2handler,
        )
      : createHttpsServer({ ...base, ...opts.tls }, handler);
  Object.assign(server, base, { headersTimeout: 60_000 }); // the HTTP/1.1 side of the http2 server reads them too
  const upgrades = new Set<Socket>();
  const onUpgrade = createUpgradeProxy(ctx, opts.connectTimeoutMs);
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    upgrades.add(socket);
    socket.once('close', () => upgrades.delete(socket));
    if (!refuseUpgradeTarget(ctx, req, socket)) onUpgrade(req, socket, head);
  });
  server.on('connect', refuseConnect(ctx));
  if (opts.http2 && opts.tls && !opts.noFastPath) {
    // node:http2's compatibility layer is the `stream` listener it added for the request handler: it becomes the
    // fallback of the core-API fast path, which decides per stream (takeStream).
    type StreamListener = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number, raw: string[]) => void;
    const [compat] = server.listeners('stream') as StreamListener[];
    if (compat === undefined) throw new Error('the HTTP/2 server registered no stream listener');
    server.removeAllListeners('stream');
    server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number, raw: string[]) => {
      if (!takeStream(ctx, stream, headers, opts.connectTimeoutMs)) compat.call(server, stream, headers, flags, raw);
    });
  }
  const sessions = new Set<Http2Session>();
  server.on('session', (session: Http2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    ctx.metrics.openConnections++;
    sockets.add(socket);
    socket.once('close', () => (ctx.metrics.openConnections--, sockets.delete(socket)));
  };
  const fast = new Set<ClientConnection>();
  // Plain-TCP connections on the fast path are accepted paused and move to a socket reading into a shared buffer,
  // which is the one tracked; TLS sockets read as streams (the TLS layer decrypts into its own buffers).
  const sharedReads = !opts.noFastPath && !opts.tls;
  if (!opts.noFastPath) {
    // The servers' own listener for new connections (`secureConnection` for TLS) becomes the fast path's fallback;
    // HTTP/2 connections go straight to it.
    const event = opts.tls ? 'secureConnection' : 'connection';
    const [general] = server.listeners(event) as ((socket: Socket) => void)[];
    if (general === undefined) throw new Error(`the server registered no ${event} listener`);
    server.removeAllListeners(event);
    const fastOpts = {
      keepAliveMs: opts.keepAliveMs,
      connectTimeoutMs: opts.connectTimeoutMs,
      fallback: (socket: Socket) => general.call(server, socket),
      sharedReads,
    };
    const forget = (c: ClientConnection) => fast.delete(c);
    if (sharedReads) pauseOnConnect(server);
    server.on(event, (socket: Socket) => {
      if ((socket as TLSSocket).alpnProtocol === 'h2') return general.call(server, socket);
      const c = new ClientConnection(ctx, socket, fastOpts, forget);
      fast.add(c);
      if (sharedReads) track(c.socket);
    });
  }
  if (!sharedReads) server.on('connection', track);
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable) return socket.destroy();
    const status =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? '431 Request Header Fields Too Large'
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? '408 Request Timeout'
          : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: listen.port, host: listen.host, reusePort: opts.reusePort === true }, () => {
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
      (server as { closeIdleConnections?(): void }).closeIdleConnections?.(); // HTTP/1.1 keep-alive connections not in a request
      ctx.draining = true;
      for (const c of fast) c.drain();
      for (const session of sessions) session.close(); // GOAWAY: streams in flight finish, no new ones
      const timer = setTimeout(() => {
        for (const s of sockets) s.destroy(); // upgraded connections too
      }, graceMs);
      await closed; // upgraded connections count too: they end with the grace period at the latest
      clearTimeout(timer);
    },
  };
}
