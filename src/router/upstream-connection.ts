// A kept-alive connection from the router's fast paths to an endpoint (HTTP/1.1 on the wire), owned by one exchange
// at a time (h1-exchange.ts, h2-exchange.ts, through UpstreamUser) or idle in the pool (upstreams.ts): connect,
// reads into one shared buffer, its writer, and which silence is allowed when. Knows no HTTP.
import { connect, type Socket } from 'node:net';
import type { Endpoint } from './route-table.js';
import type { ProxyContext } from './proxy.js';
import { SocketWriter } from './socket-writer.js';
import { idleClock, type Watched } from './idle-clock.js';

/**
 * Upstream sockets read into this one buffer (node's `onread`), sparing an allocation per read; what is read is
 * used or copied before the callback returns.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/** What an upstream connection tells the exchange that owns it (upstream-exchange.ts, for both fast paths). */
export interface UpstreamUser {
  /** The response head went to the client (a body may be silent; see idleLimitMs). */
  readonly responding: boolean;
  upstreamConnected(): void;
  /** Bytes read, in the shared read buffer: used or copied before returning. */
  upstreamData(chunk: Buffer): void;
  upstreamEnd(): void;
  upstreamFailed(code: string): void;
  upstreamTimeout(): void;
  /** The connection can take more request bytes. */
  upstreamDrained(): void;
}

/** A keep-alive connection to an endpoint, owned by one exchange at a time or idle in `Upstreams`. */
export class UpstreamConnection implements Watched {
  readonly socket: Socket;
  readonly writer: SocketWriter;
  exchange: UpstreamUser | undefined;
  connected = false;
  /** Has completed a response before (so a reset may just be a keep-alive race). */
  reused = false;
  idleMs: number;
  lastActive = 0;

  constructor(
    readonly ep: Endpoint,
    private readonly ctx: ProxyContext,
    private readonly connectTimeoutMs: number,
  ) {
    this.idleMs = ctx.upstreams.idleMs;
    const onread = {
      buffer: READ_BUFFER,
      callback: (n: number, buf: Buffer) => {
        this.lastActive = idleClock.now;
        if (this.exchange) this.exchange.upstreamData(buf.subarray(0, n));
        else s.destroy();
        return true;
      },
    };
    const s = (this.socket = connect({ host: ep.host, port: ep.port, noDelay: true, onread }));
    idleClock.watch(this);
    s.on('connect', () => {
      this.connected = true;
      this.lastActive = idleClock.now;
      this.exchange?.upstreamConnected();
    });
    s.on('end', () => this.exchange?.upstreamEnd());
    this.writer = new SocketWriter(s, () => this.exchange?.upstreamDrained(), this);
    s.on('error', (err: NodeJS.ErrnoException) => this.exchange?.upstreamFailed(err.code ?? err.message));
    s.on('close', () => {
      idleClock.unwatch(this);
      ctx.upstreams.forgetIdle(ep.addr, this);
      this.exchange?.upstreamFailed('ECONNRESET');
    });
  }

  /**
   * Silence allowed: the connect timeout until connected, then, while an exchange waits for the response head, the
   * headers timeout; a response body may be silent (streams, long polls) unless a body timeout is set. Idle expiry
   * between exchanges is the pool's.
   */
  idleLimitMs(): number {
    if (!this.connected) return this.connectTimeoutMs;
    const ex = this.exchange;
    if (ex === undefined) return 0;
    return ex.responding ? this.ctx.bodyTimeoutMs : this.ctx.headersTimeoutMs;
  }

  idleExceeded(): void {
    if (this.exchange !== undefined) this.exchange.upstreamTimeout();
    else if (!this.connected) this.close();
  }

  close(): void {
    this.exchange = undefined;
    this.socket.destroy();
  }
}
