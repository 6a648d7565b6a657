// node:http's side of request-target.ts: before the https redirect, the ACME answers, the proxy or the upgrade
// proxy read req.url or Host, an absolute-form target becomes origin-form with its authority as Host, a request the
// router refuses (target or Host not valid, CONNECT) gets its 400 or 405 and a closed connection, and `OPTIONS *`
// is answered by the router. HTTP/2 requests are checked the same way (:authority for Host, :path for the target),
// never rewritten.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Duplex } from 'node:stream';
import { decideTarget, type TargetDecision } from './request-target.js';
import { closingErrorResponse, errorPage, type RouterErrorKind } from './error-pages.js';
import { requestIdOf, type ProxyContext } from './proxy.js';
import { NO_APP } from './metrics.js';
import type { RequestHandler } from './tls-redirect.js';

type Refusal = Extract<TargetDecision, { status: number }>;

/** Methods the router serves (405 answers list them). */
const ALLOW = 'allow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\r\n';

/** The request's Host header values, as sent. */
function hostHeaders(req: IncomingMessage): string[] {
  const raw = req.rawHeaders;
  const hosts: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === 4 && raw[i]!.toLowerCase() === 'host') hosts.push(raw[i + 1]!);
  return hosts;
}

/**
 * Decides an HTTP/1.x request's host and target and rewrites `req` to them (url, Host in headers and rawHeaders);
 * returns why the router refuses it instead, if it does (HTTP/2 requests too).
 */
export function settleTarget(req: IncomingMessage): Refusal | undefined {
  if (req.httpVersionMajor === 2) return http2Refusal(req);
  const hosts = hostHeaders(req);
  const d = decideTarget(req.method ?? '', req.url ?? '', hosts, req.httpVersionMinor === 1);
  if ('status' in d) return d;
  if (d.target !== req.url) req.url = d.target;
  if (d.host !== (hosts[0] ?? '')) {
    req.headers.host = d.host;
    const raw = req.rawHeaders;
    const at = raw.findIndex((name, i) => i % 2 === 0 && name.length === 4 && name.toLowerCase() === 'host');
    if (at === -1) raw.push('Host', d.host);
    else raw[at + 1] = d.host;
  }
  return undefined;
}

/**
 * HTTP/2 has no absolute form: :path is a path (or * for OPTIONS) and the host is :authority, or a Host header that
 * must name the same (RFC 9113 §8.3.1); the router routes by Host when both are there, so they must agree.
 */
function http2Refusal(req: IncomingMessage): Refusal | undefined {
  const authority = req.headers[':authority'] as string | undefined;
  const host = req.headers.host;
  if (authority !== undefined && host !== undefined && host.toLowerCase() !== authority.toLowerCase())
    return { status: 400, reason: 'The Host header and :authority name different hosts.' };
  const named = host ?? authority;
  const d = decideTarget(req.method ?? '', req.url ?? '', named === undefined ? [] : [named], true);
  if ('status' in d) return d;
  if (d.target !== req.url) return { status: 400, reason: 'An HTTP/2 :path must be a path, or * for OPTIONS.' };
  return undefined;
}

const kindOf = (r: Refusal): RouterErrorKind => (r.status === 405 ? 'method_not_allowed' : 'bad_request');

function logRefusal(ctx: ProxyContext, req: IncomingMessage, r: Refusal, requestId: string, bytes: number): void {
  ctx.metrics.finished(NO_APP, r.status, 0, false);
  ctx.accessLog?.({
    app: NO_APP,
    method: req.method ?? '',
    host: req.headers.host ?? '',
    path: req.url ?? '',
    status: r.status,
    duration: 0,
    bytes,
    upstream: undefined,
    requestId,
    error: r.reason,
  });
}

/** Wraps the request handler of an HTTP/1.x or HTTP/2 server: refusals are answered here. */
export function targetFront(ctx: ProxyContext, next: RequestHandler): RequestHandler {
  return function front(req, res) {
    const refusal = settleTarget(req);
    if (refusal === undefined) return req.url === '*' ? serverOptions(ctx, req, res) : next(req, res);
    const requestId = requestIdOf(req);
    const body = errorPage(kindOf(refusal), requestId, refusal.reason);
    const headers: Record<string, string | number> = {
      'content-type': 'text/html; charset=utf-8',
      'content-length': body.length,
      'cache-control': 'no-store',
      'x-request-id': requestId,
    };
    // What follows a bad head on an HTTP/1 connection cannot be trusted to be a request; HTTP/2 frames each stream.
    if (req.httpVersionMajor === 1) (res.shouldKeepAlive = false), (headers.connection = 'close');
    res.writeHead(refusal.status, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
    logRefusal(ctx, req, refusal, requestId, body.length);
  };
}

/**
 * `OPTIONS *` asks what the server as a whole supports (RFC 9110 §9.3.7): the router is that server for the
 * client, and apps' HTTP clients cannot be sent a `*` target (undici refuses it), so the router answers.
 */
function serverOptions(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse): void {
  const requestId = requestIdOf(req);
  res.writeHead(200, { allow: ALLOW.slice(7, -2), 'content-length': 0, 'x-request-id': requestId });
  res.end();
  req.resume();
  ctx.metrics.finished(NO_APP, 200, 0, false);
  ctx.accessLog?.({
    app: NO_APP,
    method: 'OPTIONS',
    host: req.headers.host ?? '',
    path: '*',
    status: 200,
    duration: 0,
    bytes: 0,
    upstream: undefined,
    requestId,
  });
}

/** For the `upgrade` event: true when the request was refused (answered and closed) rather than settled. */
export function refuseUpgradeTarget(ctx: ProxyContext, req: IncomingMessage, socket: Duplex): boolean {
  const refusal = settleTarget(req);
  if (refusal === undefined) return false;
  const requestId = requestIdOf(req);
  socket.end(closingErrorResponse(kindOf(refusal), requestId, refusal.reason));
  logRefusal(ctx, req, refusal, requestId, 0);
  return true;
}

/**
 * The `connect` event (CONNECT requests, which node:http never gives the request handler): 405, as the router is
 * no forward proxy. HTTP/2 servers pass a response object instead of a socket.
 */
export function refuseConnect(ctx: ProxyContext): (req: IncomingMessage | Http2ServerRequest, to: Duplex | Http2ServerResponse) => void {
  return (req, to) => {
    const refusal = decideTarget('CONNECT', req.url ?? '', [], false) as Refusal;
    const requestId = requestIdOf(req as IncomingMessage);
    if ('writeHead' in to) {
      const body = errorPage('method_not_allowed', requestId, refusal.reason);
      to.writeHead(405, {
        'content-type': 'text/html; charset=utf-8',
        'content-length': body.length,
        'cache-control': 'no-store',
        'x-request-id': requestId,
        allow: ALLOW.slice(7, -2),
      });
      to.end(body);
    } else {
      to.on('error', () => to.destroy());
      to.end(closingErrorResponse('method_not_allowed', requestId, refusal.reason, ALLOW));
    }
    logRefusal(ctx, req as IncomingMessage, refusal, requestId, 0);
  };
}
