// Everything one proxy process holds: the current route table (swapped atomically on each snapshot), the
// upstream pools, request metrics and the HTTP listener. Used in-process (one worker) or in a cluster worker.
import type { Logger } from 'pino';
import { buildRouteTable, type RouteTable } from './route-table.js';
import { TableInputBuilder, type SnapshotDelta } from './table-input.js';
import { Upstreams } from './upstreams.js';
import { RouterMetrics } from './metrics.js';
import { startProxyServer, type ProxyServer } from './server.js';
import { accessLogger } from './access-log.js';
import type { ProxyContext } from './proxy.js';
import type { RouterOptions } from './options.js';

export interface ProxyProcess {
  readonly metrics: RouterMetrics;
  readonly server: ProxyServer;
  table(): RouteTable;
  /** Applies the changes to `routes/` and `endpoints/` keys since the last call and swaps in the new table. */
  apply(delta: SnapshotDelta, revision: number): RouteTable;
  close(graceMs: number): Promise<void>;
}

export const EMPTY_TABLE: RouteTable = buildRouteTable({ routes: new Map(), endpoints: new Map(), revision: 0 });

export async function startProxyProcess(opts: RouterOptions, log: Logger, initial: { delta: SnapshotDelta; revision: number }, writeLine?: (line: string) => void): Promise<ProxyProcess> {
  let table = EMPTY_TABLE;
  const input = new TableInputBuilder(opts.prefix);
  const upstreams = new Upstreams({ ejectMs: opts.ejectMs, connectTimeoutMs: opts.connectTimeoutMs, keepAliveMs: 30_000, connectionsPerEndpoint: null });
  const metrics = new RouterMetrics();
  const apply = (delta: SnapshotDelta, revision: number) => {
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
    accessLog: accessLogger(log, writeLine, opts.accessLogSample, { component: 'router', router: opts.id, pid: process.pid }),
    proto: 'http',
    headersTimeoutMs: opts.headersTimeoutMs,
    bodyTimeoutMs: opts.bodyTimeoutMs,
    maxAttempts: opts.maxAttempts,
  };
  const server = await startProxyServer(ctx, opts.listen, { keepAliveMs: opts.clientKeepAliveMs, connectTimeoutMs: opts.connectTimeoutMs });
  return {
    metrics,
    server,
    table: () => table,
    apply,
    async close(graceMs) {
      await server.close(graceMs);
      await upstreams.close();
    },
  };
}
