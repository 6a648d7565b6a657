// Bench-only: one in-process HTTP/2 proxy server (server.ts, h2-exchange.ts) over a local HTTP/1.1 backend, for a
// CPU profile under h2load without etcd. argv: <listen port> <backend port> <cert file> <key file>.
import { readFileSync } from 'node:fs';
import { startProxyServer } from '../../src/router/server.js';
import { buildRouteTable } from '../../src/router/route-table.js';
import { Upstreams } from '../../src/router/upstreams.js';
import { RouterMetrics } from '../../src/router/metrics.js';
import type { ProxyContext } from '../../src/router/proxy.js';

const [port, backendPort, certFile, keyFile] = process.argv.slice(2);
const table = buildRouteTable({
  routes: new Map([['bench.localhost', { app: 'bench' }]]) as never,
  endpoints: new Map([['bench', new Map([['web.1', { host: '127.0.0.1', port: Number(backendPort) }]])]]) as never,
  revision: 1,
});
const ctx: ProxyContext = {
  getTable: () => table,
  upstreams: new Upstreams(),
  metrics: new RouterMetrics(),
  proto: 'https',
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 60_000,
  bodyTimeoutMs: 0,
  maxAttempts: 3,
};
await startProxyServer(
  ctx,
  { host: '127.0.0.1', port: Number(port) },
  {
    keepAliveMs: 60_000,
    connectTimeoutMs: 5000,
    tls: { cert: readFileSync(certFile!), key: readFileSync(keyFile!) },
    http2: true,
  },
);
process.stderr.write(`READY ${port}\n`);
process.on('SIGINT', () => process.exit(0));
