// Upstream connection pools (one keep-alive undici Pool per endpoint address), round-robin choice and passive
// ejection of endpoints whose connections fail. Owns the pools' lifetime; knows nothing of HTTP semantics.
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
}

export const DEFAULT_UPSTREAM_OPTIONS: UpstreamOptions = {
  ejectMs: 5000,
  connectTimeoutMs: 5000,
  keepAliveMs: 30_000,
  connectionsPerEndpoint: null,
};

export class Upstreams {
  private readonly pools = new Map<string, Pool>();
  private readonly ejectedUntil = new Map<string, number>();
  private readonly cursor = new Map<string, number>();

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
      });
      this.pools.set(ep.addr, p);
    }
    return p;
  }

  /**
   * Next endpoint in round-robin order, skipping ejected ones and those in `tried`. When every untried
   * endpoint is ejected, an ejected one is used anyway: a maybe-working upstream beats a certain 503.
   */
  pick(target: RouteTarget, tried?: ReadonlySet<string>): Endpoint | undefined {
    const eps = target.endpoints;
    const n = eps.length;
    if (n === 0) return undefined;
    const start = this.cursor.get(target.app) ?? 0;
    this.cursor.set(target.app, start + 1 >= 1 << 30 ? 0 : start + 1);
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
    for (const [addr, p] of this.pools) {
      if (keep.has(addr)) continue;
      this.pools.delete(addr);
      this.ejectedUntil.delete(addr);
      void p.close().catch(() => undefined); // a pool already destroyed needs nothing more
    }
  }

  async close(): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(all.map((p) => p.close().catch(() => undefined))); // closing is best effort at shutdown
  }
}
