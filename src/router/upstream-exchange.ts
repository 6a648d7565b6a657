// The upstream side both fast paths share (docs/architecture.md §2): one request's attempts on UpstreamConnections
// (a kept-alive one or a new one, another endpoint after a failed connect, once more after a reused one broke),
// timeouts, failure, the pool return, the metrics and the access-log entry. Knows the client side only by the hooks
// FastPathExchange (h1-exchange.ts) and H2Exchange (h2-exchange.ts) implement.
import { performance } from 'node:perf_hooks'; // the global is a getter: a lookup on every use
import type { Framing, ResponseHead, ScannedResponseHead } from './h1-parse.js';
import { ChunkedScanner } from './h1-chunked.js';
import type { RouterErrorKind } from './error-pages.js';
import type { Endpoint, RouteTarget } from './route-table.js';
import type { ProxyContext } from './proxy.js';
import { UpstreamConnection, type UpstreamUser } from './upstream-connection.js';
import { idleClock } from './idle-clock.js';

/** Methods a request may be sent again with (RFC 9110 §9.2.2). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/**
 * One request on a fast path and its upstream attempts. A base class rather than a helper both exchanges hold: no
 * second object per request, and the response relay, the per-read hot path, stays in each subclass, where its calls
 * see one class only.
 */
export abstract class UpstreamExchange implements UpstreamUser {
  protected up!: UpstreamConnection;
  private readonly started = performance.now();
  private attempts = 0;
  private tried: Set<string> | undefined;
  private retriedReuse = false;
  /** The response head bytes gathered so far. */
  protected headBuf: Buffer | undefined;
  /** The response head went to the client. */
  responding = false;
  protected framing: Framing = 'none';
  /** Body bytes still to come with `length` framing. */
  protected left = 0;
  protected chunks: ChunkedScanner | undefined;
  protected keepAlive = false;
  protected status = 0;
  /** Response body bytes sent to the client. */
  protected bytes = 0;
  protected done = false;

  constructor(
    protected readonly ctx: ProxyContext,
    protected readonly target: RouteTarget,
    protected readonly requestId: string,
    /** The request's method, Host and target, as logged. */
    protected readonly method: string,
    protected readonly host: string,
    protected readonly path: string,
    private readonly connectTimeoutMs: number,
  ) {
    ctx.metrics.started(target.app);
  }

  abstract upstreamConnected(): void;
  abstract upstreamData(chunk: Buffer): void;
  abstract upstreamDrained(): void;
  /** A new connection is being opened for the request. */
  protected connecting(): void {}
  /** The request body, if any, can be sent again (none, or all of it kept). */
  protected abstract bodyReplayable(): boolean;
  /** A body delimited by the connection's close ended: the client is told it is complete. */
  protected abstract closedBodyEnded(): void;
  /** The router answers instead of the upstream; logs the exchange. */
  protected abstract error(kind: RouterErrorKind, detail: string): void;
  /** Cuts the client off after part of the response went to it, so that it knows the response is incomplete. */
  protected abstract cut(detail: string): void;

  start(): void {
    this.attempt(this.ctx.upstreams.pick(this.target)!);
  }

  private attempt(ep: Endpoint, fresh = false): void {
    this.attempts++;
    const idle = fresh ? undefined : (this.ctx.upstreams.takeIdle(ep.addr, idleClock.now) as UpstreamConnection | undefined);
    const up = (this.up = idle ?? new UpstreamConnection(ep, this.ctx, this.connectTimeoutMs));
    up.exchange = this;
    if (up.connected) this.upstreamConnected();
    else this.connecting();
  }

  /**
   * No blank line yet in `buf` (the head bytes gathered before and `chunk`, the newest read): they are kept (copied
   * off the shared read buffer) unless they are over the limit already.
   */
  protected partialHead(buf: Buffer, chunk: Buffer): void {
    if (buf.length > this.ctx.maxHeaderBytes) return this.fail('protocol', 'response head too large');
    this.headBuf = buf === chunk ? Buffer.from(buf) : buf;
  }

  /** The final (not 1xx) response head: its status, framing and keep-alive are the exchange's from here on. */
  protected accept(parsed: ResponseHead | ScannedResponseHead): void {
    this.headBuf = undefined;
    this.status = parsed.status;
    this.framing = parsed.framing;
    this.left = parsed.length;
    this.keepAlive = parsed.keepAlive;
    if (parsed.idleTimeoutMs !== undefined) this.up.idleMs = Math.min(this.up.idleMs, Math.max(parsed.idleTimeoutMs - 1000, 500));
    if (parsed.framing === 'chunked') this.chunks = new ChunkedScanner();
  }

  upstreamEnd(): void {
    if (this.done) return;
    if (this.responding && this.framing === 'close') {
      this.keepAlive = false;
      return this.closedBodyEnded();
    }
    this.upstreamFailed('ECONNRESET');
  }

  upstreamTimeout(): void {
    if (this.done) return;
    if (!this.up.connected) {
      this.up.close();
      return this.upstreamFailed('UND_ERR_CONNECT_TIMEOUT');
    }
    if (!this.responding) return this.fail('headers_timeout', 'headers timeout');
    // Silence inside a body: fine for streams (SSE, long polls) unless a body timeout is configured.
    if (this.ctx.bodyTimeoutMs > 0) this.fail('body_timeout', 'body timeout');
  }

  upstreamFailed(code: string): void {
    if (this.done) return;
    const up = this.up;
    up.close();
    if (!up.connected) {
      // Nothing reached the endpoint (no byte of the request went to it): try another one.
      this.ctx.upstreams.eject(up.ep.addr);
      this.ctx.metrics.upstreamError(this.target.app, 'connect');
      if (code !== 'UND_ERR_CONNECT_TIMEOUT' && this.attempts < this.ctx.maxAttempts) {
        (this.tried ??= new Set()).add(up.ep.addr);
        const next = this.ctx.upstreams.pick(this.target, this.tried);
        if (next) return this.attempt(next);
      }
      return this.error(code === 'UND_ERR_CONNECT_TIMEOUT' ? 'gateway_timeout' : 'bad_gateway', code);
    }
    // The endpoint closed a kept-alive connection as the request went out: once more on a new connection. As nginx
    // and Go's transport do, only idempotent requests are sent twice: a POST may have been acted on.
    if (up.reused && !this.retriedReuse && this.headBuf === undefined && !this.responding && IDEMPOTENT.has(this.method) && this.bodyReplayable()) {
      this.retriedReuse = true;
      return this.attempt(up.ep, true);
    }
    this.fail('socket', code);
  }

  /** The upstream broke the exchange: an error page if nothing was sent yet, else the client is cut off. */
  protected fail(kind: string, detail: string): void {
    if (this.done) return;
    this.up.close();
    this.ctx.metrics.upstreamError(this.target.app, kind);
    if (!this.responding) return this.error(kind === 'headers_timeout' ? 'gateway_timeout' : 'bad_gateway', detail);
    this.finish(this.status, detail);
    this.cut(detail);
  }

  /** The response is all relayed: the connection goes back to the pool when `reusable`, else it is closed. */
  protected release(reusable: boolean): void {
    const up = this.up;
    if (reusable) {
      up.exchange = undefined;
      up.reused = true;
      if (up.socket.isPaused()) up.socket.resume();
      this.ctx.upstreams.putIdle(up.ep.addr, up, up.idleMs, idleClock.now); // a clock at most a tick old: expiry within a tick
    } else up.close();
    this.finish(this.status);
  }

  /** The client went away mid-exchange (the upstream socket is discarded). */
  abort(): void {
    if (this.done) return;
    this.up.close();
    this.finish(499, 'client_closed');
  }

  private finish(status: number, error?: string): void {
    if (this.done) return;
    this.done = true;
    this.log(status, true, this.bytes, error);
  }

  protected log(status: number, wasActive: boolean, bytes: number, error: string | undefined): void {
    const seconds = (performance.now() - this.started) / 1000;
    const app = this.target.app;
    this.ctx.metrics.finished(app, status, seconds, wasActive);
    this.ctx.accessLog?.({
      app,
      method: this.method,
      host: this.host,
      path: this.path,
      status,
      duration: seconds * 1000,
      bytes,
      upstream: this.up?.ep.addr,
      requestId: this.requestId,
      error,
    });
  }
}
