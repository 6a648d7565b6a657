// Upgrade requests (websockets and other `Connection: Upgrade` protocols): the request head is re-written to a
// raw TCP connection to an endpoint; once the upstream answers 101 (within the upstream timeout, else 504), that
// answer goes back as is and both sockets are piped. Any other answer is relayed and ends the connection: the
// client's later bytes never reach the app unread by the router (a tunnel past its framing checks and
// X-Forwarded-* headers).
import { connect, type Socket } from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { closingErrorResponse, errorStatus, type RouterErrorKind } from './error-pages.js';
import { forwardHeaders, requestIdOf, type ProxyContext } from './proxy.js';
import type { Endpoint } from './route-table.js';
import { NO_APP } from './metrics.js';
import { HEAD_END, parseResponseHead, type ResponseHead } from './h1-parse.js';
import { ChunkedScanner } from './h1-chunked.js';

function refuse(socket: Duplex, kind: RouterErrorKind, requestId: string): void {
  socket.end(closingErrorResponse(kind, requestId));
}

/**
 * Relays an upstream's answer other than 101 (`rest`: the bytes after its head so far) with `connection: close`,
 * then ends both connections once its body is over.
 */
function relayRefusal(up: Socket, client: Duplex, res: ResponseHead, rest: Buffer): void {
  client.write(`${res.head}connection: close\r\n\r\n`);
  const chunks = res.framing === 'chunked' ? new ChunkedScanner() : undefined;
  let left = res.length;
  const take = (d: Buffer) => {
    let n = d.length;
    let over = false;
    if (res.framing === 'none') (n = 0), (over = true);
    else if (res.framing === 'length') (n = Math.min(n, left)), (left -= n), (over = left === 0);
    else if (chunks !== undefined) {
      const end = chunks.scan(d);
      if (end === -2) return void (client.destroy(), up.destroy());
      if (end !== -1) (n = end), (over = true);
    }
    if (n > 0) client.write(d.subarray(0, n));
    if (over) {
      up.off('data', take);
      up.destroy();
      client.end();
    }
  };
  up.on('data', take);
  up.once('end', () => client.end()); // a body framed by the end of the connection, or cut short
  take(rest);
}

/** Builds the `upgrade` listener of the router's HTTP server. */
export function createUpgradeProxy(ctx: ProxyContext, connectTimeoutMs: number): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  return function proxyUpgrade(req, socket, head) {
    const started = performance.now();
    const requestId = requestIdOf(req);
    socket.on('error', () => socket.destroy()); // client resets are normal for long-lived connections
    const target = ctx.getTable().lookup(req.headers.host);
    const log = (app: string, status: number, upstream?: string, error?: string) => {
      const seconds = (performance.now() - started) / 1000;
      ctx.metrics.finished(app, status, seconds, false);
      ctx.accessLog?.({
        app,
        method: req.method ?? '',
        host: req.headers.host ?? '',
        path: req.url ?? '',
        status,
        duration: seconds * 1000,
        bytes: 0,
        upstream,
        requestId,
        error,
      });
    };
    if (!target) return (refuse(socket, 'no_route', requestId), log(NO_APP, 404));
    if (target.maintenance) return (refuse(socket, 'maintenance', requestId), log(target.app, 503));
    if (target.endpoints.length === 0) return (refuse(socket, 'no_endpoints', requestId), log(target.app, 503));

    const headers = forwardHeaders(req, requestId, ctx.proto);
    headers.push('connection', 'Upgrade', 'upgrade', req.headers.upgrade ?? 'websocket');
    let lines = `${req.method} ${req.url} HTTP/1.1\r\n`;
    for (let i = 0; i < headers.length; i += 2) lines += `${headers[i]}: ${headers[i + 1]}\r\n`;
    lines += '\r\n';

    const tried = new Set<string>();
    const attempt = (ep: Endpoint) => {
      tried.add(ep.addr);
      const up: Socket = connect({ host: ep.host, port: ep.port });
      // Silence allowed: the connect timeout, then the upstream timeout until the answer's head is in (as for any
      // request); none once the connection is a tunnel.
      let phase: 'connecting' | 'answering' | 'answered' = 'connecting';
      up.setTimeout(connectTimeoutMs);
      up.on('timeout', () => {
        if (phase === 'connecting') return up.destroy(Object.assign(new Error('connect timeout'), { code: 'UND_ERR_CONNECT_TIMEOUT' }));
        if (phase !== 'answering') return;
        phase = 'answered';
        up.destroy();
        ctx.metrics.upstreamError(target.app, 'headers_timeout');
        refuse(socket, 'gateway_timeout', requestId);
        log(target.app, errorStatus('gateway_timeout'), ep.addr, 'headers timeout');
      });
      let connected = false;
      up.once('connect', () => {
        connected = true;
        phase = 'answering';
        up.setTimeout(ctx.headersTimeoutMs);
        up.setNoDelay(true);
        up.write(lines);
        socket.once('close', () => up.destroy());
        // The client's bytes stay unread (node:http left its socket paused) until the upstream has switched.
        let got: Buffer | undefined;
        const answer = (d: Buffer) => {
          got = got === undefined ? d : Buffer.concat([got, d]);
          const end = got.indexOf(HEAD_END);
          if (end === -1) {
            if (got.length > ctx.maxHeaderBytes) up.destroy(new Error('response head too large'));
            return;
          }
          up.off('data', answer);
          phase = 'answered';
          up.setTimeout(0);
          const res = parseResponseHead(got.toString('latin1', 0, end), req.method ?? 'GET');
          if (typeof res === 'string') return up.destroy(new Error(res));
          if (res.status !== 101) {
            log(target.app, res.status, ep.addr);
            return relayRefusal(up, socket, res, got.subarray(end + 4));
          }
          socket.write(got); // the 101 as the upstream sent it, and what followed it
          if (head.length) up.write(head);
          up.pipe(socket);
          socket.pipe(up);
          // The client socket comes from the HTTP server, which allows half-open connections: when the client
          // ends, end our side too so the pair closes (websockets have no use for half-close).
          socket.once('end', () => socket.end());
          up.once('close', () => socket.destroy());
          log(target.app, 101, ep.addr);
        };
        up.on('data', answer);
      });
      up.on('error', (err: NodeJS.ErrnoException) => {
        if (connected) return socket.destroy();
        ctx.upstreams.eject(ep.addr);
        ctx.metrics.upstreamError(target.app, 'connect');
        const next = tried.size < ctx.maxAttempts ? ctx.upstreams.pick(target, tried) : undefined;
        if (next) return attempt(next);
        const kind = err.code === 'UND_ERR_CONNECT_TIMEOUT' ? 'gateway_timeout' : 'bad_gateway';
        refuse(socket, kind, requestId);
        log(target.app, errorStatus(kind), ep.addr, err.code ?? err.message);
      });
    };
    attempt(ctx.upstreams.pick(target)!);
  };
}
