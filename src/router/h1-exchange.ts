// One request on the router's HTTP/1.1 fast path (h1-proxy.ts): the rewritten request head and body sent upstream,
// the response head parsed for framing only and its bytes relayed to the client, the error page. The upstream side
// (attempts, retries, timeouts, pool, access log) is upstream-exchange.ts's. Knows the client by ClientConnection.
import { newRequestId } from './request-id.js';
import { parseResponseHead, scanResponseHead, HEAD_END, type RequestHead, type ResponseHead } from './h1-parse.js';
import { errorStatus, type RouterErrorKind } from './error-pages.js';
import type { RouteTarget } from './route-table.js';
import type { ProxyContext } from './proxy.js';
import type { ClientConnection } from './h1-proxy.js';
import { UpstreamExchange } from './upstream-exchange.js';

/** Response bodies up to this size leave in one write with their head. */
const SMALL_BODY = 16 * 1024;
/** Largest request body kept for sending again on a new connection when a kept-alive one fails. */
const MAX_REPLAY = 64 * 1024;

const CONNECTION_CLOSE = Buffer.from('connection: close\r\n', 'latin1');

/**
 * The response head for the client from its bytes `buf[0, end)` (`end`: where the blank line starts): without the
 * `drops` ranges (see scanResponseHead), `connection: close` added when `close`, then the blank line and the `n`
 * body bytes that follow the head in `buf`; in one new buffer.
 */
function composeHead(buf: Buffer, end: number, drops: number[] | undefined, close: boolean, n: number): Buffer {
  let size = end + 4 + n + (close ? CONNECTION_CLOSE.length : 0);
  if (drops !== undefined) for (let k = 0; k < drops.length; k += 2) size -= drops[k + 1]! - drops[k]!;
  const out = Buffer.allocUnsafe(size);
  let p = 0;
  let from = 0;
  if (drops !== undefined) {
    for (let k = 0; k < drops.length; k += 2) {
      p = copyInto(out, p, buf, from, drops[k]!);
      from = drops[k + 1]!;
    }
  }
  p = copyInto(out, p, buf, from, end + 2);
  if (close) p = copyInto(out, p, CONNECTION_CLOSE, 0, CONNECTION_CLOSE.length);
  out[p++] = 13;
  out[p++] = 10;
  copyInto(out, p, buf, end + 4, end + 4 + n);
  return out;
}

/** Copies `from[start, end)` to `to` at `at`; returns the offset after it. Short runs by hand: Buffer#copy makes a view for each. */
function copyInto(to: Buffer, at: number, from: Buffer, start: number, end: number): number {
  if (end - start > 64) return at + from.copy(to, at, start, end);
  for (let i = start; i < end; i++) to[at++] = from[i]!;
  return at;
}

/** One request on the fast path. */
export class FastPathExchange extends UpstreamExchange {
  /** The whole request body, when it was small and all there at once (see upstreamConnected). */
  private replay: Buffer | undefined;
  /** Request body bytes not yet forwarded. */
  bodyLeft: number;
  private bodyEnded = false;

  constructor(
    ctx: ProxyContext,
    readonly client: ClientConnection,
    private readonly req: RequestHead,
    target: RouteTarget,
  ) {
    super(ctx, target, req.requestId ?? newRequestId(), req.method, req.host, req.target, client.opts.connectTimeoutMs);
    this.bodyLeft = req.contentLength;
  }

  protected override connecting(): void {
    this.client.pause(); // body bytes wait in the client's buffer until a connection is there to take them
  }

  upstreamConnected(): void {
    const { req, client } = this;
    const up = this.up;
    const forwarded =
      req.forwardedFor === undefined ? client.forwarded : `x-forwarded-for: ${req.forwardedFor}, ${client.remoteAddress}\r\n${client.forwardedTail}`;
    const head = `${req.method} ${req.target} HTTP/1.1\r\n${req.headers}${forwarded}${req.host}\r\nx-request-id: ${this.requestId}\r\n\r\n`;
    if (this.replay === undefined && this.bodyLeft === 0) {
      up.writer.write(head);
      client.resume();
      return;
    }
    up.socket.cork(); // the head and the body bytes already here leave in one write
    up.writer.write(head);
    if (this.replay !== undefined) up.writer.write(this.replay);
    else if (this.bodyLeft > 0 && this.bodyLeft <= MAX_REPLAY && client.buffered >= this.bodyLeft) {
      // A small body that is all here is kept, so the request can be sent again if a reused connection fails.
      this.replay = client.takeBody(this.bodyLeft)!;
      this.bodyLeft = 0;
      up.writer.write(this.replay);
    } else client.pumpBody();
    up.socket.uncork();
    client.resume();
  }

  protected bodyReplayable(): boolean {
    return this.req.contentLength === 0 || this.replay !== undefined;
  }

  /** More request body (never more than `bodyLeft`); pauses the client while the upstream cannot take more. */
  forwardBody(body: Buffer): void {
    this.bodyLeft -= body.length;
    if (!this.up.writer.write(body)) this.client.pause();
  }

  upstreamDrained(): void {
    this.client.resume();
  }

  /** The client can take more response bytes. */
  resumeUpstream(): void {
    if (this.up.socket.isPaused()) this.up.socket.resume();
  }

  /** The upstream connection can take more request body. */
  get upstreamWritable(): boolean {
    return this.up.connected && !this.up.writer.needDrain;
  }

  /** Bytes from the upstream, in the shared read buffer: used or copied before returning. */
  upstreamData(chunk: Buffer): void {
    if (this.done) return;
    if (this.responding) return this.relay(chunk);
    let buf = this.headBuf ? Buffer.concat([this.headBuf, chunk]) : chunk;
    for (;;) {
      // A common head is read from its bytes in one pass that also finds its end (no string is made of it); else
      // the end is searched for and the full parser reads it.
      const scanned = scanResponseHead(buf, this.req.method);
      const end = scanned !== undefined ? scanned.end : buf.indexOf(HEAD_END, Math.max(0, buf.length - chunk.length - 3));
      if (end === -1) return this.partialHead(buf, chunk);
      if (end > this.ctx.maxHeaderBytes) return this.fail('protocol', 'response head too large');
      const parsed = scanned ?? parseResponseHead(buf.toString('latin1', 0, end), this.req.method);
      if (typeof parsed === 'string') return this.fail('protocol', parsed);
      if (parsed.status < 200) {
        if (parsed.status === 101) return this.fail('protocol', 'unexpected protocol switch');
        // 103 Early Hints and the like go to the client as they come
        this.client.write(scanned !== undefined ? composeHead(buf, end, scanned.drops, false, 0) : (parsed as ResponseHead).head + '\r\n');
        buf = buf.subarray(end + 4);
        chunk = buf;
        continue;
      }
      this.accept(parsed);
      // A response before the whole request body (an early 413, say) ends the connection: the rest is never read.
      const close = this.client.closeAfter(this.req, parsed.framing === 'close' || this.bodyLeft > 0);
      const n = this.bodyBytes(buf, end + 4);
      // Broken framing in the bytes that came with the head: nothing was sent yet, so the client gets a 502.
      if (n < 0) return this.fail('protocol', 'malformed chunked body');
      this.responding = true;
      // `buf` may be the shared read buffer: what is written is a copy. A small body leaves with its head in one write.
      let writable: boolean;
      if (scanned !== undefined) {
        const small = n <= SMALL_BODY;
        writable = this.client.write(composeHead(buf, end, scanned.drops, close, small ? n : 0));
        if (!small) writable = this.client.write(Buffer.from(buf.subarray(end + 4, end + 4 + n)));
      } else {
        const head = (parsed as ResponseHead).head + (close ? 'connection: close\r\n\r\n' : '\r\n');
        if (n <= SMALL_BODY) writable = this.client.write(n === 0 ? head : head + buf.toString('latin1', end + 4, end + 4 + n));
        else {
          this.client.write(head);
          writable = this.client.write(Buffer.from(buf.subarray(end + 4, end + 4 + n)));
        }
      }
      return this.sent(writable, n, buf.length - end - 4);
    }
  }

  /** Relays response body bytes after the head. */
  private relay(chunk: Buffer): void {
    const n = this.bodyBytes(chunk);
    if (n < 0) return this.fail('protocol', 'malformed chunked body');
    this.sent(n === 0 || this.client.write(Buffer.from(n === chunk.length ? chunk : chunk.subarray(0, n))), n, chunk.length);
  }

  /**
   * How many of `chunk`'s bytes from `start` on belong to the response body (noting in `bodyEnded` whether it ends
   * there); -1: broken chunked framing.
   */
  private bodyBytes(chunk: Buffer, start = 0): number {
    switch (this.framing) {
      case 'none':
        this.bodyEnded = true;
        return 0;
      case 'length': {
        const n = Math.min(chunk.length - start, this.left);
        this.left -= n;
        this.bodyEnded = this.left === 0;
        return n;
      }
      case 'chunked': {
        const end = this.chunks!.scan(chunk, start);
        if (end === -2) return -1;
        if (end === -1) return chunk.length - start;
        this.bodyEnded = true;
        return end - start;
      }
      case 'close':
        return chunk.length - start; // ends when the upstream closes
    }
  }

  /** `n` of the `total` bytes read went to the client (`writable`: it can take more now). */
  private sent(writable: boolean, n: number, total: number): void {
    this.bytes += n;
    if (!writable) this.up.socket.pause();
    if (n < total) this.keepAlive = false; // bytes after the response: not a connection to reuse
    if (this.bodyEnded) this.complete();
  }

  protected closedBodyEnded(): void {
    this.complete();
  }

  protected cut(): void {
    this.client.destroy();
  }

  /** The router answers instead of the upstream. */
  protected error(kind: RouterErrorKind, detail: string): void {
    this.ctx.metrics.settled(this.target.app); // counted by log() below as the router's own response
    this.done = true;
    const status = errorStatus(kind);
    if (this.bodyLeft > 0 && this.client.discardBody(this.bodyLeft)) this.bodyLeft = 0;
    const body = this.client.sendError(this.req, kind, this.requestId, this.bodyLeft > 0);
    this.log(status, false, body, detail);
    this.client.exchangeDone(this.bodyLeft > 0);
  }

  private complete(): void {
    const unsent = this.bodyLeft > 0; // the upstream answered before taking the whole body
    this.release(this.keepAlive && !unsent);
    this.client.exchangeDone(unsent);
  }
}
