// The router's routing table: an immutable host → {app, endpoints} map built from a store snapshot.
// Pure: parses keys and JSON values it is given; performs no I/O and never mutates a built table.
import type { EndpointRecord, RouteRecord } from '../store/keys.js';

/** One routable instance of an app's `web` process. */
export interface Endpoint {
  /** `host:port`; identifies the upstream connection pool. */
  readonly addr: string;
  readonly host: string;
  readonly port: number;
  readonly release: number;
  readonly instance: string;
}

export interface RouteTarget {
  readonly app: string;
  readonly httpsOnly: boolean;
  /** Down for maintenance: answered 503 with `page` (or the router's own) and never proxied. */
  readonly maintenance?: { readonly page?: string };
  /** Sorted by instance name; empty when the app has no running web process. */
  readonly endpoints: readonly Endpoint[];
}

export interface RouteTable {
  /** Store revision this table reflects. */
  readonly revision: number;
  readonly hostCount: number;
  /** Every endpoint of every routed app (each address once). */
  readonly endpoints: readonly Endpoint[];
  /** `host` as sent in the Host header: the port is stripped and case ignored. */
  lookup(host: string | undefined): RouteTarget | undefined;
}

/** Lower-cases a Host header and drops its port and a trailing dot (`Example.com.:8080` → `example.com`). */
export function normalizeHost(raw: string): string {
  let h = raw;
  if (h.charCodeAt(0) === 91 /* [ */) {
    const end = h.indexOf(']');
    h = end === -1 ? h : h.slice(0, end + 1);
  } else {
    const colon = h.indexOf(':');
    if (colon !== -1) h = h.slice(0, colon);
  }
  if (h.charCodeAt(h.length - 1) === 46 /* . */) h = h.slice(0, -1);
  return h.toLowerCase();
}

export interface TableInput {
  routes: ReadonlyMap<string, RouteRecord>;
  /** app → its web endpoints, keyed by instance. */
  endpoints: ReadonlyMap<string, ReadonlyMap<string, EndpointRecord>>;
  revision: number;
}

/**
 * Builds the table. Exact hosts win over wildcards; `*.example.com` matches any name ending in
 * `.example.com` (at any depth, as nginx does) and the longest matching wildcard wins.
 */
export function buildRouteTable(input: TableInput): RouteTable {
  const byApp = new Map<string, readonly Endpoint[]>();
  const targetFor = (app: string, httpsOnly: boolean, maintenance: RouteRecord['maintenance']): RouteTarget => {
    let eps = byApp.get(app);
    if (!eps) {
      const recs = input.endpoints.get(app);
      eps = recs
        ? Object.freeze(
            [...recs.entries()]
              .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
              .map(([instance, r]) => Object.freeze({ addr: `${r.host}:${r.port}`, host: r.host, port: r.port, release: r.release, instance })),
          )
        : Object.freeze([]);
      byApp.set(app, eps);
    }
    return Object.freeze({ app, httpsOnly, endpoints: eps, ...(maintenance ? { maintenance: Object.freeze({ ...maintenance }) } : {}) });
  };

  const exact = new Map<string, RouteTarget>();
  const wildcard = new Map<string, RouteTarget>(); // key: ".example.com"
  for (const [rawHost, rec] of input.routes) {
    const host = normalizeHost(rawHost);
    const target = targetFor(rec.app, rec.httpsOnly === true, rec.maintenance);
    if (host.startsWith('*.')) wildcard.set(host.slice(1), target);
    else exact.set(host, target);
  }
  const hasWildcards = wildcard.size > 0;

  function lookup(raw: string | undefined): RouteTarget | undefined {
    if (raw === undefined || raw === '') return undefined;
    const hit = exact.get(raw); // fast path: Host headers are usually already normal
    if (hit) return hit;
    const host = normalizeHost(raw);
    const t = exact.get(host);
    if (t || !hasWildcards) return t;
    for (let dot = host.indexOf('.'); dot !== -1; dot = host.indexOf('.', dot + 1)) {
      const w = wildcard.get(host.slice(dot));
      if (w) return w;
    }
    return undefined;
  }

  const all = new Map<string, Endpoint>();
  for (const eps of byApp.values()) for (const ep of eps) all.set(ep.addr, ep);
  const endpoints = Object.freeze([...all.values()]);
  return Object.freeze({ revision: input.revision, hostCount: exact.size + wildcard.size, endpoints, lookup });
}
