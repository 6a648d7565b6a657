// HTTP/2 streams on the router's own keep-alive upstream sockets, through node:http2's core API (no compatibility
// objects): a stream's pseudo-headers and headers become an HTTP/1.1 request head on an UpstreamConnection, the
// response head comes back as HTTP/2 headers and its body as DATA, both ways with backpressure; the upstream side is
// upstream-exchange.ts's, as for HTTP/1.1. takeStream decides which streams it serves; server.ts gives the rest to
// node:http2's compatibility layer and the general proxy (docs/architecture.md §2).
import { constants, type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import { newRequestId } from './request-id.js';
import { HEAD_END, parseResponseHead, type ResponseHead } from './h1-parse.js';
import { ChunkedDecoder } from './h1-dechunk.js';
import { UpstreamExchange } from './upstream-exchange.js';
import { errorPage, errorStatus, type RouterErrorKind } from './error-pages.js';
import { validHost } from './request-target.js';
import type { RouteTarget } from './route-table.js';
import { DROP_REQUEST as PROXY_DROP_REQUEST, type ProxyContext } from './proxy.js';

const { NGHTTP2_NO_ERROR } = constants;
const ACME_PATH = '/.well-known/acme-challenge/';

/** Request headers not forwarded: the general proxy's (hop-by-hop, and those the router sets itself), Host (from
 * :authority) and HTTP/2's own HTTP2-Settings. */
const DROP_REQUEST = new Set([...PROXY_DROP_REQUEST, 'host', 'http2-settings']);
/** Response headers HTTP/2 forbids (RFC 9113 §8.2.2; node:http2 throws on them) or that frame an HTTP/1.1 body. */
const DROP_RESPONSE = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'http2-settings']);
/**
 * Bytes that would end a line of the HTTP/1.1 head (nghttp2 already refuses them in field values, RFC 9113 §8.2.1;
 * checked again because a head is built from them), and, in :path, anything but visible ASCII and obs-text.
 */
const UNSAFE_VALUE = /[\0\r\n]/;
const UNSAFE_PATH = /[\0-\x20\x7f]/;

interface SessionInfo {
  remote: string;
  /** X-Forwarded-Proto/Port and the X-Forwarded-Host name, the same for every stream of the session. */
  tail: string;
}
const SESSION_INFO = Symbol('yb.h2.session');
type WithInfo = ServerHttp2Session & { [SESSION_INFO]?: SessionInfo };

function sessionInfo(ctx: ProxyContext, session: WithInfo): SessionInfo {
  let info = session[SESSION_INFO];
  if (info === undefined) {
    const socket = session.socket; // a proxy object: read once per session
    const tail = `x-forwarded-proto: ${ctx.proto}\r\nx-forwarded-port: ${socket.localPort ?? ''}\r\nx-forwarded-host: `;
    info = session[SESSION_INFO] = { remote: socket.remoteAddress ?? '', tail };
  }
  return info;
}

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/**
 * Serves `stream` on the HTTP/2 fast path when it can: a path target (not an ACME challenge), one valid host that
 * routes to an app with endpoints, not in maintenance. Returns false, having touched nothing, for anything else
 * (refusals, `OPTIONS *`, CONNECT, unknown hosts, the router's own pages): the general proxy answers those.
 */
export function takeStream(ctx: ProxyContext, stream: ServerHttp2Stream, headers: IncomingHttpHeaders, connectTimeoutMs: number): boolean {
  const method = headers[':method'];
  const path = headers[':path'];
  if (method === undefined || method === 'CONNECT' || path === undefined || path.charCodeAt(0) !== 47 || path.startsWith(ACME_PATH) || UNSAFE_PATH.test(path))
    return false;
  const authority = headers[':authority'];
  const hostHeader = first(headers.host);
  const host = hostHeader ?? authority;
  if (host === undefined || (authority !== undefined && hostHeader !== undefined && authority.toLowerCase() !== hostHeader.toLowerCase()) || !validHost(host))
    return false;
  const target = ctx.getTable().lookup(host);
  if (target === undefined || target.maintenance !== undefined || target.endpoints.length === 0) return false;
  const info = sessionInfo(ctx, stream.session as WithInfo);
  let lines = `host: ${host}\r\n`;
  let xff: string | undefined;
  let requestId: string | undefined;
  for (const name in headers) {
    if (name.charCodeAt(0) === 58 /* : */) continue;
    const v = headers[name]!;
    if (DROP_REQUEST.has(name)) {
      if (name === 'x-forwarded-for') xff = first(v);
      else if (name === 'x-request-id') requestId = first(v);
      continue;
    }
    // Repeated fields arrive joined (Cookie with `; `, RFC 9113 §8.2.3), but Set-Cookie, which clients do not send.
    if (typeof v === 'string') {
      if (UNSAFE_VALUE.test(v)) return false;
      lines += `${name}: ${v}\r\n`;
    } else
      for (const one of v) {
        if (UNSAFE_VALUE.test(one)) return false;
        lines += `${name}: ${one}\r\n`;
      }
  }
  if ((xff !== undefined && UNSAFE_VALUE.test(xff)) || (requestId !== undefined && UNSAFE_VALUE.test(requestId))) return false;
  if (requestId === undefined || requestId.length === 0 || requestId.length > 200) requestId = newRequestId();
  // A body without a length (HTTP/2 frames it) goes chunked.
  const body = !stream.endAfterHeaders;
  const chunked = body && headers['content-length'] === undefined;
  const forwardedFor = xff === undefined ? info.remote : `${xff}, ${info.remote}`;
  const head =
    `${method} ${path} HTTP/1.1\r\n${lines}${chunked ? 'transfer-encoding: chunked\r\n' : ''}x-forwarded-for: ${forwardedFor}\r\n` +
    `${info.tail}${host}\r\nx-request-id: ${requestId}\r\n\r\n`;
  const declared = body && !chunked ? Number(first(headers['content-length'])) : 0;
  if (!Number.isSafeInteger(declared) || declared < 0) return false; // nghttp2 refuses these first
  new H2Exchange(ctx, stream, method, path, host, target, requestId, head, body, chunked, declared, connectTimeoutMs).start();
  return true;
}

/** The HTTP/2 headers of an HTTP/1.1 response head (parseResponseHead's, which dropped Connection and its kind). */
function responseHeaders(parsed: ResponseHead): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { ':status': parsed.status };
  const head = parsed.head;
  let at = head.indexOf('\r\n') + 2;
  while (at < head.length) {
    const eol = head.indexOf('\r\n', at);
    const colon = head.indexOf(':', at);
    const name = head.slice(at, colon).toLowerCase();
    let a = colon + 1;
    let b = eol;
    at = eol + 2;
    if (DROP_RESPONSE.has(name)) continue;
    while (a < b && (head.charCodeAt(a) === 32 || head.charCodeAt(a) === 9)) a++;
    while (b > a && (head.charCodeAt(b - 1) === 32 || head.charCodeAt(b - 1) === 9)) b--;
    const value = head.slice(a, b);
    const prev = out[name];
    if (prev === undefined) out[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[name] = [prev as string, value];
  }
  return out;
}

/** One HTTP/2 stream on the fast path. */
class H2Exchange extends UpstreamExchange {
  /** Reading of the request body began (so it cannot be sent again). */
  private piping = false;
  /** The whole request body went upstream. */
  private requestSent: boolean;
  private decoder: ChunkedDecoder | undefined;

  constructor(
    ctx: ProxyContext,
    private readonly stream: ServerHttp2Stream,
    method: string,
    path: string,
    host: string,
    target: RouteTarget,
    requestId: string,
    private readonly head: string,
    private readonly body: boolean,
    private readonly chunked: boolean,
    /** Body bytes the Content-Length promised (not sent chunked): no byte more goes to the upstream. */
    private bodyLeft: number,
    connectTimeoutMs: number,
  ) {
    super(ctx, target, requestId, method, host, path, connectTimeoutMs);
    this.requestSent = !body;
    stream.on('error', () => undefined); // resets and session errors end in 'close' below
    stream.on('close', () => this.abort()); // after a finished exchange too, where abort() does nothing
  }

  /** The client's stream can take more response bytes (awaited only when a write was refused: most never are). */
  private drained(): void {
    if (this.up.exchange === this && this.up.socket.isPaused()) this.up.socket.resume();
  }

  upstreamConnected(): void {
    this.up.writer.write(this.head);
    if (!this.body) return;
    if (this.piping) return void this.stream.resume();
    this.piping = true;
    this.stream.on('data', (chunk: Buffer) => this.forwardBody(chunk));
    this.stream.on('end', () => {
      if (this.chunked && this.up.exchange === this) this.up.writer.write('0\r\n\r\n');
      this.requestSent = true;
    });
  }

  /** Only a request without a body is sent twice: one being read from the stream is not kept. */
  protected bodyReplayable(): boolean {
    return !this.body;
  }

  private forwardBody(chunk: Buffer): void {
    if (this.done || this.up.exchange !== this) return;
    const w = this.up.writer;
    let writable: boolean;
    if (this.chunked) {
      w.write(`${chunk.length.toString(16)}\r\n`);
      w.write(chunk);
      writable = w.write('\r\n');
    } else {
      // nghttp2 resets a stream whose DATA exceeds its content-length; should a byte more ever arrive, it would be
      // read by the upstream as the start of another request on the connection: the exchange ends instead.
      if (chunk.length > this.bodyLeft) return this.fail('protocol', 'request body longer than its Content-Length');
      this.bodyLeft -= chunk.length;
      writable = w.write(chunk);
    }
    if (!writable) this.stream.pause(); // flow control holds the client until the upstream drains
  }

  upstreamDrained(): void {
    if (this.piping && this.stream.isPaused()) this.stream.resume();
  }

  upstreamData(chunk: Buffer): void {
    if (this.done) return;
    if (this.responding) return this.relay(chunk, 0);
    let buf = this.headBuf ? Buffer.concat([this.headBuf, chunk]) : chunk;
    for (;;) {
      const end = buf.indexOf(HEAD_END);
      if (end === -1) return this.partialHead(buf, chunk);
      if (end > this.ctx.maxHeaderBytes) return this.fail('protocol', 'response head too large');
      const parsed = parseResponseHead(buf.toString('latin1', 0, end), this.method);
      if (typeof parsed === 'string') return this.fail('protocol', parsed);
      if (parsed.status < 200) {
        if (parsed.status === 101) return this.fail('protocol', 'unexpected protocol switch');
        // 103 Early Hints and the like go to the client as they come; 100 answers an Expect the router dropped.
        if (parsed.status !== 100) {
          try {
            this.stream.additionalHeaders(responseHeaders(parsed));
          } catch {
            // an informational response HTTP/2 cannot carry is left out
          }
        }
        buf = buf.subarray(end + 4);
        this.headBuf = undefined;
        chunk = buf;
        continue;
      }
      this.accept(parsed);
      if (parsed.framing === 'chunked') this.decoder = new ChunkedDecoder();
      const none = parsed.framing === 'none';
      try {
        this.stream.respond(responseHeaders(parsed), { endStream: none });
      } catch (err) {
        return this.fail('protocol', `response headers not valid in HTTP/2: ${(err as Error).message}`);
      }
      this.responding = true;
      if (none) {
        if (buf.length > end + 4) this.keepAlive = false; // bytes after the response: not a connection to reuse
        return this.complete();
      }
      return this.relay(buf, end + 4);
    }
  }

  /** Relays the response body bytes in `buf` from `start` on (a view of the shared read buffer: copied). */
  private relay(buf: Buffer, start: number): void {
    let n: number;
    let data: Buffer;
    let ended = false;
    if (this.framing === 'chunked') {
      const e = this.chunks!.scan(buf, start);
      if (e === -2) return this.fail('protocol', 'malformed chunked body');
      ended = e !== -1;
      const stop = ended ? e : buf.length;
      n = stop - start;
      const parts = this.decoder!.decode(buf, start, stop);
      data = parts.length === 1 ? Buffer.from(parts[0]!) : Buffer.concat(parts);
    } else {
      n = buf.length - start;
      if (this.framing === 'length') {
        n = Math.min(n, this.left);
        this.left -= n;
        ended = this.left === 0;
      }
      data = Buffer.from(buf.subarray(start, start + n));
    }
    if (start + n < buf.length) this.keepAlive = false;
    this.bytes += data.length;
    if (ended) {
      this.stream.end(data.length > 0 ? data : undefined);
      return this.complete();
    }
    if (data.length > 0 && !this.stream.write(data)) {
      this.up.socket.pause();
      this.stream.once('drain', () => this.drained());
    }
  }

  protected closedBodyEnded(): void {
    this.stream.end();
    this.complete();
  }

  protected cut(detail: string): void {
    // RST_STREAM with INTERNAL_ERROR: the client knows the body is incomplete. destroy() resets at once; close()
    // would end the DATA first, which a client may read as a whole (shorter) body.
    this.stream.destroy(new Error(detail));
  }

  /** The router answers instead of the upstream. */
  protected error(kind: RouterErrorKind, detail: string): void {
    this.ctx.metrics.settled(this.target.app); // counted by log() below as the router's own response
    this.done = true;
    const status = errorStatus(kind);
    const page = errorPage(kind, this.requestId);
    const stream = this.stream;
    if (!stream.destroyed && !stream.headersSent) {
      const head = this.method === 'HEAD';
      stream.respond(
        {
          ':status': status,
          'content-type': 'text/html; charset=utf-8',
          'content-length': page.length,
          'cache-control': 'no-store',
          'x-request-id': this.requestId,
        },
        { endStream: head },
      );
      if (!head) stream.end(page);
      if (!this.requestSent) stream.close(NGHTTP2_NO_ERROR); // the rest of the body is not wanted (sent after the page)
    }
    this.log(status, false, page.length, detail);
  }

  private complete(): void {
    this.release(this.keepAlive && this.requestSent);
    // The upstream answered before the whole body: the rest is refused once the response is out.
    if (!this.requestSent) this.stream.close(NGHTTP2_NO_ERROR);
  }
}
