// The router's fast path for plain HTTP/1.1: request heads are parsed and rewritten as bytes, forwarded over the
// router's own keep-alive upstream sockets, and responses relayed byte for byte (framing tracked, never re-encoded).
// Anything it does not take (upgrades, Expect, chunked uploads, HTTP/1.0, redirects to HTTPS, ACME challenges,
// malformed input) is handed, with its connection, to node:http and the general proxy.
import type { Socket } from 'node:net';
import { newRequestId } from './request-id.js';
import { parseRequestHead, HEAD_END, type RequestHead } from './h1-parse.js';
import { errorPage, errorStatus, errorStatusLine, type RouterErrorKind } from './error-pages.js';
import type { ProxyContext } from './proxy.js';
import { NO_APP } from './metrics.js';
import { FastPathExchange } from './h1-exchange.js';
import { rewrapWithSharedReads } from './shared-reads.js';
import { SocketWriter } from './socket-writer.js';
import { takeHandleReads, type HandleReads } from './tls-reads.js';
import { idleClock, type Watched } from './idle-clock.js';

export interface FastPathOptions {
  /** Idle client connections are closed after this long. */
  keepAliveMs: number;
  connectTimeoutMs: number;
  /** Takes over a connection the fast path does not serve; its unread bytes were put back first. */
  fallback(socket: Socket): void;
  /** Accepted sockets come paused (plain TCP) and are re-wrapped to read into a shared buffer (shared-reads.ts). */
  sharedReads: boolean;
}

/** Pipelined bytes buffered while a request is in flight before the client is paused. */
const MAX_BUFFERED = 64 * 1024;
/** Longest time a request head may take to arrive (node:http's headersTimeout default). */
const HEAD_TIMEOUT_MS = 60_000;
const ACME_PATH = '/.well-known/acme-challenge/';
/** Client reads up to this size are searched for a request head as a string (see next()). */
const SHORT_READ = 2048;

/** `s` as one flat string (a concatenation is a tree until something flattens it, on each write). */
const flat = (s: string) => Buffer.from(s, 'latin1').toString('latin1');

/** A client connection on the fast path: reads request heads, runs one exchange at a time, buffers pipelined bytes. */
export class ClientConnection implements Watched {
  private buf: Buffer | undefined;
  /** `buf` is a view of the shared read buffer: set only while a read callback runs (see `data`). */
  private shared = false;
  private handedOff = false;
  private exchange: FastPathExchange | undefined;
  private ended = false; // the client sent FIN
  private closing = false; // close once the current response is out
  private paused = false;
  private gone = false;
  private headSince = 0; // when the bytes of an incomplete request head started arriving
  lastActive = 0;
  readonly remoteAddress: string;
  readonly localPort: number;
  /**
   * The X-Forwarded-* lines the router adds, the same for every request on the connection, up to the host value:
   * `forwarded` for requests without an X-Forwarded-For, `forwardedTail` to follow the joined one.
   */
  readonly forwarded: string;
  readonly forwardedTail: string;
  readonly socket: Socket;
  private readonly writer: SocketWriter;
  private readonly onData = (chunk: Buffer) => this.data(chunk, false);
  private readonly onEnd = () => this.clientEnded();
  private readonly reads: HandleReads | undefined;

  constructor(
    private readonly ctx: ProxyContext,
    accepted: Socket,
    readonly opts: FastPathOptions,
    private readonly onClosed: (c: ClientConnection) => void,
  ) {
    const socket = (this.socket = opts.sharedReads ? rewrapWithSharedReads(accepted, (bytes) => this.sharedRead(bytes)) : accepted);
    this.remoteAddress = socket.remoteAddress ?? '';
    this.localPort = socket.localPort ?? 0;
    const tail = `x-forwarded-proto: ${ctx.proto}\r\nx-forwarded-port: ${this.localPort}\r\nx-forwarded-host: `;
    this.forwardedTail = flat(tail);
    this.forwarded = flat(`x-forwarded-for: ${this.remoteAddress}\r\n${tail}`);
    socket.on('end', this.onEnd);
    this.writer = new SocketWriter(socket, () => this.exchange?.resumeUpstream(), this);
    idleClock.watch(this);
    socket.on('error', () => socket.destroy()); // resets by clients are routine
    socket.once('close', () => {
      idleClock.unwatch(this);
      this.gone = true;
      this.exchange?.abort();
      this.exchange = undefined;
      onClosed(this);
    });
    // TLS connections: reads from the handle where the bindings allow (tls-reads.ts), else from the stream.
    this.reads = opts.sharedReads ? undefined : takeHandleReads(socket, this.onData);
    if (!opts.sharedReads && this.reads === undefined) socket.on('data', this.onData);
  }

  /** An idle connection is closed after the keep-alive time; one with a request in flight waits for it. */
  idleLimitMs(): number {
    return this.exchange === undefined ? this.opts.keepAliveMs : 0;
  }

  idleExceeded(): void {
    if (this.exchange === undefined) this.socket.destroy();
  }

  get idle(): boolean {
    return this.exchange === undefined && this.buf === undefined;
  }

  /** Bytes read into the shared buffer; once handed off, the socket is a plain stream again and gets a copy. */
  private sharedRead(bytes: Buffer): boolean {
    if (this.handedOff) return this.socket.push(Buffer.from(bytes));
    this.data(bytes, true);
    return true;
  }

  /** Client bytes; `shared`: a view of the shared read buffer, so what is kept past this call is copied. */
  private data(chunk: Buffer, shared: boolean): void {
    this.lastActive = idleClock.now;
    if (this.closing && this.exchange === undefined) return; // after the last response: discard
    if (this.buf === undefined) {
      this.buf = chunk;
      this.shared = shared;
    } else this.buf = Buffer.concat([this.buf, chunk]);
    if (this.exchange === undefined) this.next();
    else {
      this.pumpBody();
      if (this.buf !== undefined && this.buf.length > MAX_BUFFERED) this.pause();
    }
    if (this.shared) {
      this.shared = false;
      if (this.buf !== undefined) this.buf = Buffer.from(this.buf);
    }
  }

  /** Forwards buffered request body bytes while the upstream takes them. */
  pumpBody(): void {
    const ex = this.exchange;
    while (ex !== undefined && ex.bodyLeft > 0 && this.buf !== undefined && ex.upstreamWritable) ex.forwardBody(this.takeBody(ex.bodyLeft)!);
  }

  /** Starts the next request if a whole head is buffered. */
  private next(): void {
    const buf = this.buf;
    if (buf === undefined) return;
    // Short reads (most requests) become a string at once and the end is searched in it: cheaper than a search of
    // the bytes and then a string of the head.
    const text = buf.length <= SHORT_READ ? buf.toString('latin1') : undefined;
    const end = text !== undefined ? text.indexOf('\r\n\r\n') : buf.indexOf(HEAD_END);
    if (end === -1) {
      if (buf.length > this.ctx.maxHeaderBytes) return this.handOff(); // node:http answers 431
      // A head trickling in (slowloris) gets as long as node:http would give it, then the connection is closed.
      const now = idleClock.now;
      if (this.headSince === 0) this.headSince = now;
      else if (now - this.headSince > HEAD_TIMEOUT_MS) this.socket.destroy();
      return;
    }
    this.headSince = 0;
    if (end > this.ctx.maxHeaderBytes) return this.handOff(); // node:http answers 431
    const req = parseRequestHead(text !== undefined ? text.slice(0, end) : buf.toString('latin1', 0, end));
    if (req === undefined) return this.handOff();
    const target = this.ctx.getTable().lookup(req.host);
    if (target?.httpsOnly || target?.maintenance || req.target.startsWith(ACME_PATH)) return this.handOff();
    this.buf = end + 4 === buf.length ? undefined : buf.subarray(end + 4);
    if (req.close) this.closing = true;
    if (target === undefined || target.endpoints.length === 0) {
      const kind = target === undefined ? 'no_route' : 'no_endpoints';
      const requestId = req.requestId ?? newRequestId();
      const unread = !this.discardBody(req.contentLength);
      const body = this.sendError(req, kind, requestId, unread);
      this.ctx.metrics.finished(target?.app ?? NO_APP, errorStatus(kind), 0, false);
      this.ctx.accessLog?.({
        app: target?.app ?? NO_APP,
        method: req.method,
        host: req.host,
        path: req.target,
        status: errorStatus(kind),
        duration: 0,
        bytes: body,
        upstream: undefined,
        requestId,
        error: kind,
      });
      return this.exchangeDone(unread);
    }
    this.exchange = new FastPathExchange(this.ctx, this, req, target);
    this.exchange.start();
  }

  /**
   * Drops a request body the router will not forward when it is all here (the connection can go on); returns
   * false when part of it is still to come (the connection has to close).
   */
  discardBody(length: number): boolean {
    if (length === 0) return true;
    if (this.buffered < length) return false;
    this.takeBody(length);
    return true;
  }

  /** Bytes received and not yet used. */
  get buffered(): number {
    return this.buf?.length ?? 0;
  }

  /** Up to `max` buffered body bytes, removed from the buffer (the caller may keep them). */
  takeBody(max: number): Buffer | undefined {
    const buf = this.buf;
    if (buf === undefined) return undefined;
    const body = buf.length <= max ? buf : buf.subarray(0, max);
    this.buf = buf.length <= max ? undefined : buf.subarray(max);
    return this.shared ? Buffer.from(body) : body;
  }

  /** Whether the connection closes after the response now starting; `final`: it must (body framed by close, request unread). */
  closeAfter(req: RequestHead, final: boolean): boolean {
    if (final || req.close || this.ended || this.ctx.draining) this.closing = true;
    return this.closing;
  }

  /** Writes to the client (strings as latin1: the bytes as they came). */
  write(data: string | Buffer): boolean {
    return this.writer.write(data);
  }

  /** Sends the router's own error page; returns the body length. `unread`: the request body stays unread, so the connection closes. */
  sendError(req: RequestHead, kind: RouterErrorKind, requestId: string, unread: boolean): number {
    if (unread || this.ctx.draining) this.closing = true;
    const body = errorPage(kind, requestId);
    this.writer.write(
      `${errorStatusLine(kind)}\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: ${body.length}\r\n` +
        `cache-control: no-store\r\nx-request-id: ${requestId}\r\n${this.closing ? 'connection: close\r\n' : ''}\r\n`,
    );
    if (req.method !== 'HEAD') this.writer.write(body);
    return body.length;
  }

  /** The exchange is over; `unsent`: part of the request body was never read, so the connection cannot go on. */
  exchangeDone(unsent: boolean): void {
    this.exchange = undefined;
    if (this.gone) return;
    if (unsent || this.closing || this.ctx.draining) {
      this.closing = true;
      this.buf = undefined;
      this.resume();
      this.socket.destroySoon();
      return;
    }
    this.resume();
    if (this.buf !== undefined) this.next();
    else if (this.ended) this.socket.end();
  }

  pause(): void {
    if (this.paused) return;
    this.paused = true;
    if (this.reads) this.reads.pause();
    else this.socket.pause();
  }

  /** Reads again unless the buffer is full or the upstream cannot take more body. */
  resume(): void {
    this.pumpBody();
    if (!this.paused || this.gone) return;
    if (this.exchange && (!this.exchange.upstreamWritable || (this.buf?.length ?? 0) > MAX_BUFFERED)) return;
    this.paused = false;
    if (this.reads) this.reads.resume();
    else this.socket.resume();
  }

  /** The client sent FIN: like node:http, a request in flight counts as abandoned (proxies see a gone client this way). */
  private clientEnded(): void {
    this.ended = true;
    if (this.exchange === undefined) {
      if (this.buf === undefined) this.socket.end();
      return;
    }
    this.exchange.abort();
    this.exchange = undefined;
    this.socket.destroy();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Closes an idle connection (shutdown); busy ones close after their response. */
  drain(): void {
    if (this.idle) this.socket.destroy();
    else this.closing = true;
  }

  /** Gives the connection, with its unread bytes, to node:http. */
  private handOff(): void {
    const s = this.socket;
    s.off('data', this.onData);
    this.reads?.release();
    s.off('end', this.onEnd);
    this.writer.detach();
    idleClock.unwatch(this);
    this.handedOff = true;
    if (this.buf) s.unshift(this.shared ? Buffer.from(this.buf) : this.buf);
    this.buf = undefined;
    this.shared = false;
    this.paused = false;
    s.resume(); // node:http adds its data listener before the buffered bytes flow (on the next tick)
    this.onClosed(this);
    this.opts.fallback(s);
  }
}
