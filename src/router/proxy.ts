// The HTTP data path: Host → route → endpoint, forwarded over a keep-alive undici pool with streaming in both
// directions, retries of failed connections on another endpoint, and the router's own error pages.
// Knows nothing of etcd: it reads whatever table `getTable()` returns at the start of each request.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import { newRequestId } from './request-id.js';
import type { Dispatcher } from 'undici';
import { errorPage, errorStatus, type RouterErrorKind } from './error-pages.js';
import type { Endpoint, RouteTable, RouteTarget } from './route-table.js';
import type { Upstreams } from './upstreams.js';
import { NO_APP, type RouterMetrics } from './metrics.js';

export interface AccessEntry {
  app: string;
  method: string;
  host: string;
  path: string;
  status: number;
  /** Milliseconds from request to end of response. */
  duration: number;
  bytes: number;
  upstream: string | undefined;
  requestId: string;
  error?: string;
}

export interface ProxyContext {
  getTable(): RouteTable;
  upstreams: Upstreams;
  metrics: RouterMetrics;
  /** Called once per finished request; keep it cheap. */
  accessLog?(e: AccessEntry): void;
  /** `http` or `https`: the scheme clients used, for X-Forwarded-Proto. */
  proto: 'http' | 'https';
  /** Largest request or response head accepted, in bytes. */
  maxHeaderBytes: number;
  /** Time an upstream has to send response headers. */
  headersTimeoutMs: number;
  /** Longest silence inside a response body (0: none, for long-lived streams such as SSE). */
  bodyTimeoutMs: number;
  /** Connection attempts per request (on different endpoints). */
  maxAttempts: number;
  /** Set while shutting down: responses close their connection. */
  draining?: boolean;
}

/** Request headers not forwarded: hop-by-hop ones, and those the router sets itself. */
export const DROP_REQUEST = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'upgrade',
  'expect',
  'trailer',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-forwarded-host',
  'x-forwarded-for',
  'x-request-id',
]);
const DROP_RESPONSE = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'trailer', 'upgrade']);
// Connection-phase failures: no byte of the request reached the upstream, so another endpoint may be tried.
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT']);

/** The request's host: the Host header, or HTTP/2's :authority. */
export function hostOf(req: IncomingMessage): string | undefined {
  return req.headers.host ?? (req.headers[':authority'] as string | undefined);
}

/** The request id: kept from the client when plausible, else a new UUID. */
export function requestIdOf(req: IncomingMessage): string {
  const h = req.headers['x-request-id'];
  return typeof h === 'string' && h.length >= 1 && h.length <= 200 ? h : newRequestId();
}

/** Upstream request headers as a flat [name, value, …] list. */
export function forwardHeaders(req: IncomingMessage, requestId: string, proto: string): string[] {
  const raw = req.rawHeaders;
  const out: string[] = [];
  let xff: string | undefined;
  let cookies: string | undefined; // HTTP/2 may split the Cookie header; HTTP/1.1 wants one (RFC 9113 §8.2.3)
  const h2 = req.httpVersionMajor === 2;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (DROP_REQUEST.has(lower)) {
      if (lower === 'x-forwarded-for') xff = xff === undefined ? raw[i + 1] : `${xff}, ${raw[i + 1]}`;
      continue;
    }
    if (h2) {
      if (name.charCodeAt(0) === 58 /* : */) continue; // pseudo-headers; :authority becomes Host below
      if (lower === 'cookie') {
        cookies = cookies === undefined ? raw[i + 1] : `${cookies}; ${raw[i + 1]}`;
        continue;
      }
    }
    out.push(name, raw[i + 1]!);
  }
  if (h2) {
    if (req.headers.host === undefined) out.push('host', hostOf(req) ?? '');
    if (cookies !== undefined) out.push('cookie', cookies);
  }
  const client = req.socket.remoteAddress ?? '';
  out.push(
    'x-forwarded-for',
    xff === undefined ? client : `${xff}, ${client}`,
    'x-forwarded-proto',
    proto,
    'x-forwarded-port',
    String(req.socket.localPort ?? ''),
    'x-forwarded-host',
    hostOf(req) ?? '',
    'x-request-id',
    requestId,
  );
  return out;
}

function hasBody(req: IncomingMessage): boolean {
  // HTTP/2 marks a request without body by ending its stream with the headers.
  if (req.httpVersionMajor === 2) return !(req as unknown as Http2ServerRequest).stream.endAfterHeaders;
  const cl = req.headers['content-length'];
  if (cl !== undefined) return cl !== '0';
  return req.headers['transfer-encoding'] !== undefined;
}

/** Builds the `request` listener of the router's HTTP server. */
export function createProxy(ctx: ProxyContext): (req: IncomingMessage, res: ServerResponse) => void {
  return function proxyRequest(req, res) {
    const started = performance.now();
    if (ctx.draining) res.shouldKeepAlive = false;
    const requestId = requestIdOf(req);
    const target = ctx.getTable().lookup(hostOf(req));
    if (target === undefined) return sendError(ctx, req, res, 'no_route', NO_APP, requestId, started, undefined);
    if (target.maintenance) return sendError(ctx, req, res, 'maintenance', target.app, requestId, started, undefined, undefined, target.maintenance.page);
    if (target.endpoints.length === 0) return sendError(ctx, req, res, 'no_endpoints', target.app, requestId, started, undefined);
    ctx.metrics.started(target.app);
    const ep = ctx.upstreams.pick(target)!;
    new UndiciForward(ctx, req, res, target, requestId, started, forwardHeaders(req, requestId, ctx.proto), hasBody(req)).attempt(ep);
  };
}

function sendError(
  ctx: ProxyContext,
  req: IncomingMessage,
  res: ServerResponse,
  kind: RouterErrorKind,
  app: string,
  requestId: string,
  started: number,
  upstream: string | undefined,
  error?: string,
  page?: string,
): void {
  const status = errorStatus(kind);
  const body = page !== undefined ? Buffer.from(page) : errorPage(kind, requestId);
  if (!res.headersSent) {
    res.writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': body.length,
      'cache-control': 'no-store',
      'x-request-id': requestId,
      ...(kind === 'maintenance' ? { 'retry-after': '60' } : {}),
    });
  }
  res.end(req.method === 'HEAD' ? undefined : body);
  const seconds = (performance.now() - started) / 1000;
  ctx.metrics.finished(app, status, seconds, false);
  ctx.accessLog?.({
    app,
    method: req.method ?? '',
    host: hostOf(req) ?? '',
    path: req.url ?? '',
    status,
    duration: seconds * 1000,
    bytes: body.length,
    upstream,
    requestId,
    error: error ?? kind,
  });
}

/** One client request and its upstream attempts; the undici dispatch handler of the current attempt. */
class UndiciForward implements Dispatcher.DispatchHandler {
  private ep!: Endpoint;
  private tried: Set<string> | undefined;
  private attempts = 0;
  private abortUpstream: ((err?: Error) => void) | undefined;
  private resumeUpstream: (() => void) | undefined;
  private status = 0;
  private bytes = 0;
  private done = false;

  constructor(
    private readonly ctx: ProxyContext,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly target: RouteTarget,
    private readonly requestId: string,
    private readonly started: number,
    private readonly headers: string[],
    private readonly withBody: boolean,
  ) {
    res.once('close', () => {
      // The client went away before the response ended: stop the upstream request too.
      if (!this.done) {
        this.abortUpstream?.(new Error('client closed the connection'));
        this.finish(499, 'client_closed');
      }
    });
  }

  attempt(ep: Endpoint): void {
    this.ep = ep;
    this.attempts++;
    this.abortUpstream = undefined;
    this.ctx.upstreams.pool(ep).dispatch(
      {
        path: this.req.url ?? '/',
        method: this.req.method as Dispatcher.HttpMethod,
        headers: this.headers,
        body: this.withBody ? this.req : null,
        headersTimeout: this.ctx.headersTimeoutMs,
        bodyTimeout: this.ctx.bodyTimeoutMs,
      },
      this,
    );
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortUpstream = abort;
    if (this.done) abort();
  }

  onHeaders(statusCode: number, raw: Buffer[], resume: () => void, statusText: string): boolean {
    if (statusCode < 200) return true; // 1xx: the server answered Expect/continue itself
    this.status = statusCode;
    this.resumeUpstream = resume;
    const out: string[] = [];
    let sized = false;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!.toString('latin1');
      const lower = name.toLowerCase();
      if (DROP_RESPONSE.has(lower)) continue;
      if (lower === 'content-length') sized = true;
      out.push(name, raw[i + 1]!.toString('latin1'));
    }
    if (this.req.httpVersionMajor === 2)
      this.res.writeHead(statusCode, out); // HTTP/2 has no status text
    else this.res.writeHead(statusCode, statusText, out);
    // Server-sent events and other streams: send the head now rather than with the first body chunk.
    if (!sized) this.res.flushHeaders();
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.bytes += chunk.length;
    if (this.res.write(chunk)) return true;
    this.res.once('drain', this.resumeUpstream!);
    return false;
  }

  onComplete(): void {
    this.res.end();
    this.finish(this.status);
  }

  onError(err: Error): void {
    if (this.done) return;
    const code = (err as { code?: string }).code ?? '';
    const connectFailed = CONNECT_ERRORS.has(code);
    if (connectFailed) this.ctx.upstreams.eject(this.ep.addr);
    this.ctx.metrics.upstreamError(this.target.app, connectFailed ? 'connect' : code.startsWith('UND_ERR_') ? code.slice(8).toLowerCase() : code || 'other');
    if (this.res.headersSent) {
      // Mid-response: the status is already out; cutting the connection tells the client the body is incomplete.
      this.res.destroy(err);
      this.finish(this.status, code || err.message);
      return;
    }
    if (connectFailed && this.attempts < this.ctx.maxAttempts && !(this.withBody && this.req.readableDidRead)) {
      (this.tried ??= new Set()).add(this.ep.addr);
      const next = this.ctx.upstreams.pick(this.target, this.tried);
      if (next) return this.attempt(next);
    }
    const timeout = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT';
    this.done = true;
    this.ctx.metrics.settled(this.target.app); // the error page below counts the request
    sendError(
      this.ctx,
      this.req,
      this.res,
      timeout ? 'gateway_timeout' : 'bad_gateway',
      this.target.app,
      this.requestId,
      this.started,
      this.ep.addr,
      code || err.message,
    );
  }

  private finish(status: number, error?: string): void {
    if (this.done) return;
    this.done = true;
    const seconds = (performance.now() - this.started) / 1000;
    this.ctx.metrics.finished(this.target.app, status, seconds, true);
    this.ctx.accessLog?.({
      app: this.target.app,
      method: this.req.method ?? '',
      host: hostOf(this.req) ?? '',
      path: this.req.url ?? '',
      status,
      duration: seconds * 1000,
      bytes: this.bytes,
      upstream: this.ep.addr,
      requestId: this.requestId,
      error,
    });
  }
}
