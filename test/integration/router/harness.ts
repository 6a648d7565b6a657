// Shared set-up of the router integration tests: a real etcd on a free port, real upstream HTTP servers and a
// router started in-process (or as the yb-router binary), each with its own key prefix. Everything is cleaned up.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createNetServer } from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Etcd3 } from 'etcd3';
import pino from 'pino';
import { startEmbeddedEtcd, type EmbeddedEtcd } from '../../../src/store/embedded-etcd.js';
import { keys } from '../../../src/store/keys.js';
import { startRouter, type RunningRouter } from '../../../src/router/router.js';
import type { RouterOptions } from '../../../src/router/options.js';
import { certKeyContext, type CertRecord } from '../../../src/router/tls-record.js';
import type { SecretBox } from '../../../src/auth/secrets.js';

export async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

// etcd children must not outlive a test process that is cancelled (e.g. by the runner's timeout).
const etcdChildren = new Set<EmbeddedEtcd>();
process.once('exit', () => etcdChildren.forEach((e) => e.child.kill('SIGKILL')));
process.once('SIGTERM', () => process.exit(143));
process.once('SIGINT', () => process.exit(130));

async function startTracked(opts: Parameters<typeof startEmbeddedEtcd>[0]): Promise<EmbeddedEtcd> {
  const e = await startEmbeddedEtcd(opts);
  etcdChildren.add(e);
  e.child.once('exit', () => etcdChildren.delete(e));
  return e;
}

export interface Etcd {
  etcd: EmbeddedEtcd;
  client: Etcd3;
  dataDir: string;
  port: number;
  restart(): Promise<void>;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startEtcd(): Promise<Etcd> {
  const dataDir = mkdtempSync(join(tmpdir(), 'yb-router-etcd-'));
  const port = await freePort();
  let peer = await freePort();
  while (peer === port) peer = await freePort();
  const e: Etcd = {
    etcd: await startTracked({ dataDir, clientPort: port, peerPort: peer }),
    client: undefined as unknown as Etcd3,
    dataDir,
    port,
    async stop() {
      await e.etcd.stop();
    },
    async start() {
      e.etcd = await startTracked({ dataDir, clientPort: port, peerPort: peer });
    },
    async restart() {
      await e.stop();
      await e.start();
    },
    async close() {
      e.client.close();
      await e.etcd.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  e.client = new Etcd3({ hosts: e.etcd.endpoint });
  return e;
}

export function uniquePrefix(): string {
  return `/yb-test-${process.env.YB_TEST_RUN_ID ?? 'local'}-${process.pid}-${Math.random().toString(36).slice(2, 8)}/`;
}

export interface Upstream {
  server: Server;
  port: number;
  name: string;
  close(): Promise<void>;
}

/** A real HTTP server answering `name` plus what it saw, unless `handler` says otherwise. */
export async function startUpstream(name: string, handler?: (req: IncomingMessage, res: ServerResponse) => void): Promise<Upstream> {
  const server = createServer(
    handler ??
      ((req, res) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ name, host: req.headers.host, url: req.url, headers: req.headers }));
      }),
  );
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (s) => (sockets.add(s), s.once('close', () => sockets.delete(s))));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    server,
    port,
    name,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        for (const s of sockets) s.destroy(); // upgraded sockets too, which closeAllConnections() leaves
      }),
  };
}

export function testOptions(etcdEndpoint: string, prefix: string, over: Partial<RouterOptions> = {}): RouterOptions {
  return {
    listen: { host: '127.0.0.1', port: 0 },
    adminListen: { host: '127.0.0.1', port: 0 },
    etcdEndpoints: [etcdEndpoint],
    prefix,
    workers: 1,
    id: `test-${Math.random().toString(36).slice(2, 8)}`,
    logLevel: 'silent',
    accessLogSample: 0,
    headersTimeoutMs: 5000,
    bodyTimeoutMs: 0,
    connectTimeoutMs: 2000,
    ejectMs: 5000,
    maxAttempts: 3,
    shutdownGraceMs: 2000,
    clientKeepAliveMs: 5000,
    debounceMs: 5,
    ...over,
  };
}

export async function startTestRouter(etcdEndpoint: string, prefix: string, over: Partial<RouterOptions> = {}): Promise<RunningRouter & { url: string }> {
  const r = await startRouter(testOptions(etcdEndpoint, prefix, over), pino({ level: 'silent' }));
  return Object.assign(r, { url: `http://127.0.0.1:${r.addresses().http.port}` });
}

export interface RouterProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
  stderr(): string;
}

/** yb-router as its own process (bin/yb-router.ts) with `env` over this process's; resolves once it listens. */
export async function spawnRouter(env: NodeJS.ProcessEnv): Promise<RouterProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/yb-router.ts'], {
    cwd: fileURLToPath(new URL('../../../', import.meta.url)),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      if (out.includes('yb-router listening on')) resolve();
    });
    void exited.then((code) => reject(new Error(`yb-router exited ${code}: ${stderr}`)));
  });
  return { child, exited, stderr: () => stderr };
}

/** Writes a route and returns the store revision of the write. */
export async function putRoute(client: Etcd3, prefix: string, host: string, app: string): Promise<number> {
  const r = await client.put(keys(prefix).route(host)).value(JSON.stringify({ app })).exec();
  return Number(r.header.revision);
}

/** Stores a certificate for `hostname` (the chain as given, its key sealed as the API seals it); the etcd revision. */
export async function putCert(
  client: Etcd3,
  prefix: string,
  box: SecretBox,
  cert: { app: string; hostname: string; chain: string; key: string; issuer: string },
): Promise<number> {
  const rec: CertRecord = {
    app: cert.app,
    hostname: cert.hostname,
    cert: cert.chain,
    key: box.seal(cert.key, certKeyContext(cert.hostname)),
    names: [cert.hostname],
    notBefore: '',
    notAfter: '',
    issuer: cert.issuer,
    subject: cert.hostname,
    fingerprint: '',
    source: 'manual',
    createdAt: new Date().toISOString(),
  };
  const r = await client.put(keys(prefix).cert(cert.hostname)).value(JSON.stringify(rec)).exec();
  return Number(r.header.revision);
}

export async function putEndpoint(client: Etcd3, prefix: string, app: string, instance: string, port: number): Promise<number> {
  const r = await client
    .put(keys(prefix).endpoint(app, 'web', instance))
    .value(JSON.stringify({ host: '127.0.0.1', port, release: 1, container: instance }))
    .exec();
  return Number(r.header.revision);
}

export async function deleteEndpoint(client: Etcd3, prefix: string, app: string, instance: string): Promise<number> {
  const r = await client
    .delete()
    .key(keys(prefix).endpoint(app, 'web', instance))
    .exec();
  return Number(r.header.revision);
}

/** GET through the router with a Host header. */
export async function get(routerUrl: string, host: string, path = '/', headers: Record<string, string> = {}) {
  const u = new URL(path, routerUrl);
  const { request } = await import('undici');
  const res = await request(u, { headers: { host, ...headers } });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, unknown> };
}
