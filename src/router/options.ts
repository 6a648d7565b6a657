// Router settings: what `yb-router` needs from the platform configuration plus the router's own tunables.
// Pure: no environment reads here (the platform config loader does that).
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { formatAddr, type Addr, type PlatformConfig } from '../config/load.js';

export interface RouterOptions {
  listen: Addr;
  /** HTTPS listener (certificates from `certs/<host>` by SNI); none when absent. */
  tlsListen?: Addr;
  /** Platform data directory: the secret key that opens certificate keys, the fallback certificate. Needed with `tlsListen`. */
  dataDir?: string;
  adminListen: Addr;
  etcdEndpoints: string[];
  prefix: string;
  /** Proxy processes; 1 runs everything in one process. */
  workers: number;
  /** Router id in `routers/<id>`; defaults to `<hostname>-<listen addr>`. */
  id: string;
  logLevel: string;
  /** Fraction of requests written to the access log (0 disables it). */
  accessLogSample: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  connectTimeoutMs: number;
  ejectMs: number;
  maxAttempts: number;
  /** Longest wait for in-flight requests after SIGTERM. */
  shutdownGraceMs: number;
  /** Idle client keep-alive connections are closed after this long. */
  clientKeepAliveMs: number;
  debounceMs: number;
  /** Largest request or response head in bytes (default 16 KiB). */
  maxHeaderBytes?: number;
  /** Offer HTTP/2 on the HTTPS listener (ALPN h2). */
  http2?: boolean;
  /** OCSP responders named by certificates may be on loopback and private networks (YB_OUTBOUND_PRIVATE). */
  outboundPrivate?: boolean;
  /** How often the TLS session ticket key is replaced (tls-tickets.ts; default 12 h). */
  ticketRotateMs?: number;
  /** Set by the primary for cluster workers: each binds its own listening sockets with SO_REUSEPORT (workers.ts). */
  reusePort?: boolean;
  /** Serve every request through node:http (no byte-level fast path); bench/router compares the two. */
  noFastPath?: boolean;
}

export function routerOptionsFrom(cfg: PlatformConfig, hostname: string, overrides: Partial<RouterOptions> = {}): RouterOptions {
  if (cfg.etcdEndpoints.length === 0) throw new Error('yb-router needs YB_ETCD_ENDPOINTS (it never starts its own etcd; ybd passes it)');
  return {
    listen: cfg.routerAddr,
    tlsListen: cfg.routerTlsAddr,
    dataDir: resolve(cfg.dataDir),
    adminListen: cfg.routerAdminAddr,
    etcdEndpoints: cfg.etcdEndpoints,
    prefix: cfg.etcdPrefix.endsWith('/') ? cfg.etcdPrefix : `${cfg.etcdPrefix}/`,
    workers: cfg.routerWorkers === 0 ? availableParallelism() : cfg.routerWorkers,
    id: cfg.routerId || `${hostname}-${formatAddr(cfg.routerAddr)}`,
    logLevel: cfg.logLevel,
    accessLogSample: Math.min(1000, cfg.routerAccessLog) / 1000,
    http2: cfg.routerHttp2,
    outboundPrivate: cfg.outboundPrivate,
    maxHeaderBytes: cfg.routerMaxHeaderKb * 1024,
    headersTimeoutMs: cfg.routerUpstreamTimeout * 1000,
    bodyTimeoutMs: 0,
    connectTimeoutMs: 5_000,
    ejectMs: cfg.routerEject * 1000,
    maxAttempts: 3,
    shutdownGraceMs: cfg.routerDrainTimeout * 1000,
    clientKeepAliveMs: 65_000,
    debounceMs: 5,
    ...overrides,
  };
}
