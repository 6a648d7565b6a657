// Everything one proxy process holds: the current route table (swapped atomically on each snapshot), the
// upstream pools, request metrics, the HTTP listener and (when configured) the HTTPS one with its certificates.
// Used in-process (one worker) or in a cluster worker.
import type { Server as TlsServer } from 'node:tls';
import type { Logger } from 'pino';
import { buildRouteTable, type RouteTable } from './route-table.js';
import { TableInputBuilder, type SnapshotDelta } from './table-input.js';
import { Upstreams } from './upstreams.js';
import { RouterMetrics } from './metrics.js';
import { startProxyServer, type ProxyServer } from './server.js';
import { accessLogger, type AccessLines } from './access-log.js';
import type { ProxyContext } from './proxy.js';
import type { RouterOptions } from './options.js';
import { TlsCertificates } from './tls.js';
import { SecretKeyring } from './tls-keyring.js';
import { readFallbackCertificate } from './tls-fallback.js';
import { httpsRedirectFront, type RequestHandler } from './tls-redirect.js';
import { AcmeChallenges } from './acme-challenges.js';
import { OcspStapler } from './tls-ocsp.js';
import { SessionTickets } from './tls-tickets.js';

export interface ProxyProcess {
  readonly metrics: RouterMetrics;
  readonly server: ProxyServer;
  readonly tlsServer: ProxyServer | undefined;
  table(): RouteTable;
  /** Applies the changes to `routes/` and `endpoints/` keys since the last call and swaps in the new table. */
  apply(delta: SnapshotDelta, revision: number): RouteTable;
  /** The TLS session ticket key shared by the router's proxy processes (tls-tickets.ts); no-op without TLS. */
  setTicketKey(key: Buffer): void;
  close(graceMs: number): Promise<void>;
}

export const EMPTY_TABLE: RouteTable = buildRouteTable({ routes: new Map(), endpoints: new Map(), revision: 0 });

export async function startProxyProcess(
  opts: RouterOptions,
  log: Logger,
  initial: { delta: SnapshotDelta; revision: number; ticketKey?: Buffer },
  lines?: AccessLines,
): Promise<ProxyProcess> {
  let table = EMPTY_TABLE;
  const input = new TableInputBuilder(opts.prefix);
  const maxHeaderBytes = opts.maxHeaderBytes ?? 16 * 1024;
  const upstreams = new Upstreams({
    ejectMs: opts.ejectMs,
    connectTimeoutMs: opts.connectTimeoutMs,
    keepAliveMs: 30_000,
    connectionsPerEndpoint: null,
    maxHeaderBytes,
  });
  const metrics = new RouterMetrics();
  // The fallback certificate was made by the router primary (router.ts) before any proxy started.
  const certs = opts.tlsListen ? new TlsCertificates(opts.prefix, new SecretKeyring(opts.dataDir), readFallbackCertificate(opts.dataDir!), log) : undefined;
  const acme = new AcmeChallenges(opts.prefix);
  const apply = (delta: SnapshotDelta, revision: number) => {
    certs?.apply(delta);
    acme.apply(delta);
    for (const p of input.apply(delta)) log.warn({ problem: p }, 'ignored a malformed route or endpoint record');
    table = buildRouteTable(input.input(revision));
    upstreams.retain(table);
    return table;
  };
  apply(initial.delta, initial.revision);
  const ctx: ProxyContext = {
    getTable: () => table,
    upstreams,
    metrics,
    accessLog: accessLogger(log, lines, opts.accessLogSample, { component: 'router', router: opts.id, pid: process.pid }),
    proto: 'http',
    headersTimeoutMs: opts.headersTimeoutMs,
    maxHeaderBytes,
    bodyTimeoutMs: opts.bodyTimeoutMs,
    maxAttempts: opts.maxAttempts,
  };
  const serverOpts = {
    keepAliveMs: opts.clientKeepAliveMs,
    connectTimeoutMs: opts.connectTimeoutMs,
    noFastPath: opts.noFastPath,
    reusePort: opts.reusePort,
  };
  let tlsServer: ProxyServer | undefined;
  let tickets: SessionTickets | undefined;
  if (certs) {
    // Clients without SNI get the fallback pair given here.
    tlsServer = await startProxyServer({ ...ctx, proto: 'https' }, opts.tlsListen!, {
      ...serverOpts,
      tls: { SNICallback: certs.sniCallback, ...certs.fallbackPem },
      http2: opts.http2 === true,
    });
    tlsServer.server.on('OCSPRequest', new OcspStapler(log, opts.outboundPrivate === true).onRequest);
    tickets = new SessionTickets();
    if (!tickets.install(tlsServer.server as TlsServer)) log.warn('node:tls lacks the ticket key callback: TLS 1.3 clients resume every other connection');
  }
  const setTicketKey = (key: Buffer) => tickets?.setKey(key);
  if (initial.ticketKey) setTicketKey(initial.ticketKey);
  let server: ProxyServer;
  try {
    const httpsPort = () => tlsServer!.address().port;
    const front = (proxy: RequestHandler) => acme.front(tlsServer ? httpsRedirectFront(() => table, httpsPort, proxy) : proxy);
    server = await startProxyServer(ctx, opts.listen, { ...serverOpts, front });
  } catch (err) {
    await tlsServer?.close(0);
    throw err;
  }
  return {
    metrics,
    server,
    tlsServer,
    table: () => table,
    apply,
    setTicketKey,
    async close(graceMs) {
      await Promise.all([server.close(graceMs), tlsServer?.close(graceMs)]);
      await upstreams.close();
    },
  };
}
