// Upstream connection pools (one keep-alive undici Pool per endpoint address for node:http requests, and the
// fast path's idle keep-alive connections), round-robin choice and passive ejection of endpoints whose
// connections fail. Owns the pools' lifetime; knows nothing of HTTP semantics.
import { Pool } from 'undici';
import type { Endpoint, RouteTable, RouteTarget } from './route-table.js';

export interface UpstreamOptions {
  /** How long an endpoint whose connection failed is skipped. */
  ejectMs: number;
  connectTimeoutMs: number;
  /** Idle keep-alive connections are closed after this long. */
  keepAliveMs: number;
  /** Upper bound of connections per endpoint (null: unbounded). */
  connectionsPerEndpoint: number | null;
  /** Largest response head accepted (undici's default when absent). */
  maxHeaderBytes?: number;
}

/** A kept-alive upstream connection of the fast path (h1-proxy.ts), parked between requests. */
export interface IdleConnection {
  close(): void;
}

/** Idle connections kept per endpoint; more are closed rather than parked. */
const MAX_IDLE_PER_ENDPOINT = 512;

export const DEFAULT_UPSTREAM_OPTIONS: UpstreamOptions = {
  ejectMs: 5000,
  connectTimeoutMs: 5000,
  keepAliveMs: 30_000,
  connectionsPerEndpoint: null,
};

export class Upstreams {
  private readonly pools = new Map<string, Pool>();
  private readonly ejectedUntil = new Map<string, number>();
  /** Round-robin position per app (an object, so a pick reads the map once and writes none). */
  private readonly cursor = new Map<string, { next: number }>();
  private readonly idle = new Map<string, { conn: IdleConnection; expires: number }[]>();
  private sweeper: NodeJS.Timeout | undefined;
  /** Endpoint addresses of the current table (undefined until the first `retain`). */
  private live: Set<string> | undefined;

  constructor(private readonly opts: UpstreamOptions = DEFAULT_UPSTREAM_OPTIONS) {}

  /** The pool for an endpoint, created on first use. */
  pool(ep: Endpoint): Pool {
    let p = this.pools.get(ep.addr);
    if (!p) {
      p = new Pool(`http://${ep.addr}`, {
        connections: this.opts.connectionsPerEndpoint,
        connectTimeout: this.opts.connectTimeoutMs,
        keepAliveTimeout: this.opts.keepAliveMs,
        keepAliveMaxTimeout: this.opts.keepAliveMs,
        pipelining: 1,
        ...(this.opts.maxHeaderBytes ? { maxHeaderSize: this.opts.maxHeaderBytes } : {}),
      });
      this.pools.set(ep.addr, p);
    }
    return p;
  }

  /** How long an idle fast-path connection is kept. */
  get idleMs(): number {
    return this.opts.keepAliveMs;
  }

  /**
   * The most recently parked idle connection to `addr` that has not outlived its idle time, if any. `now`: the
   * time in performance.now() milliseconds (callers with a cheaper, slightly old clock pass it).
   */
  takeIdle(addr: string, now = performance.now()): IdleConnection | undefined {
    const list = this.idle.get(addr);
    if (list === undefined || list.length === 0) return undefined;
    for (let e = list.pop(); e !== undefined; e = list.pop()) {
      if (e.expires > now) return e.conn;
      e.conn.close();
    }
    return undefined;
  }

  /**
   * Parks a connection for reuse during `idleMs`; it is closed instead when its endpoint left the table or enough
   * are parked. Connections past their time are closed by a sweep every second (and never handed out).
   */
  putIdle(addr: string, conn: IdleConnection, idleMs: number, now = performance.now()): void {
    let list = this.idle.get(addr);
    if ((this.live !== undefined && !this.live.has(addr)) || (list !== undefined && list.length >= MAX_IDLE_PER_ENDPOINT)) return conn.close();
    if (!list) this.idle.set(addr, (list = []));
    list.push({ conn, expires: now + idleMs });
    this.sweeper ??= setInterval(() => this.sweep(), 1000).unref();
  }

  /** Removes a parked connection that closed (a no-op for one in use). */
  forgetIdle(addr: string, conn: IdleConnection): void {
    const list = this.idle.get(addr);
    const i = list ? list.findIndex((e) => e.conn === conn) : -1;
    if (i !== -1) list!.splice(i, 1);
  }

  private sweep(): void {
    const now = performance.now();
    for (const list of this.idle.values()) {
      for (let i = list.length - 1; i >= 0; i--) {
        const e = list[i]!;
        if (e.expires > now) continue;
        list.splice(i, 1);
        e.conn.close();
      }
    }
  }

  /**
   * Next endpoint in round-robin order, skipping ejected ones and those in `tried`. When every untried
   * endpoint is ejected, an ejected one is used anyway: a maybe-working upstream beats a certain 503.
   */
  pick(target: RouteTarget, tried?: ReadonlySet<string>): Endpoint | undefined {
    const eps = target.endpoints;
    const n = eps.length;
    if (n === 0) return undefined;
    let c = this.cursor.get(target.app);
    if (c === undefined) this.cursor.set(target.app, (c = { next: 0 }));
    const start = c.next;
    c.next = start + 1 >= 1 << 30 ? 0 : start + 1;
    let fallback: Endpoint | undefined;
    const now = this.ejectedUntil.size > 0 ? Date.now() : 0;
    for (let i = 0; i < n; i++) {
      const ep = eps[(start + i) % n]!;
      if (tried?.has(ep.addr)) continue;
      if (now !== 0) {
        const until = this.ejectedUntil.get(ep.addr);
        if (until !== undefined) {
          if (until > now) {
            fallback ??= ep;
            continue;
          }
          this.ejectedUntil.delete(ep.addr);
        }
      }
      return ep;
    }
    return fallback;
  }

  /** Marks an endpoint failed: it is skipped for `ejectMs`. */
  eject(addr: string): void {
    this.ejectedUntil.set(addr, Date.now() + this.opts.ejectMs);
  }

  isEjected(addr: string): boolean {
    const until = this.ejectedUntil.get(addr);
    return until !== undefined && until > Date.now();
  }

  /** Closes pools of endpoints no longer in the table (gracefully: in-flight requests finish). */
  retain(table: RouteTable): void {
    const keep = new Set<string>();
    for (const ep of table.endpoints) keep.add(ep.addr);
    this.live = keep;
    for (const [addr, list] of this.idle) {
      if (keep.has(addr)) continue;
      this.idle.delete(addr);
      for (const e of list) e.conn.close();
    }
    for (const [addr, p] of this.pools) {
      if (keep.has(addr)) continue;
      this.pools.delete(addr);
      this.ejectedUntil.delete(addr);
      void p.close().catch(() => undefined); // a pool already destroyed needs nothing more
    }
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    for (const list of this.idle.values()) for (const e of list) e.conn.close();
    this.idle.clear();
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(all.map((p) => p.close().catch(() => undefined))); // closing is best effort at shutdown
  }
}
