// The admin listener: /healthz (200 once a table is applied, with its revision) and Prometheus /metrics.
import { createServer, type Server } from 'node:http';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Addr } from '../config/load.js';

export interface AdminSource {
  health(): { ok: boolean; revision: number; routes: number; etcdConnected: boolean; workers: number };
  /** The router's own metrics in Prometheus text format. */
  metrics(): Promise<string>;
}

export async function startAdminServer(listen: Addr, src: AdminSource): Promise<{ server: Server; address(): Addr; close(): Promise<void> }> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'yb_router_primary_' });
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      const h = src.health();
      res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(h));
      return;
    }
    if (path === '/metrics') {
      Promise.all([src.metrics(), registry.metrics()]).then(
        ([own, proc]) => res.writeHead(200, { 'content-type': registry.contentType }).end(own + proc),
        (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics unavailable: ${err.message}\n`),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => (server.off('error', reject), resolve()));
  });
  return {
    server,
    address() {
      const a = server.address();
      return typeof a === 'object' && a ? { host: a.address, port: a.port } : listen;
    },
    close: () => new Promise<void>((resolve) => (server.close(() => resolve()), server.closeAllConnections())),
  };
}
