// Router benchmark: the same nginx backend and the same load generator (wrk) measured direct, through nginx
// (1 worker, keep-alive upstream, setting the request headers the router sets; also a second nginx setting fewer) and through yb-router variants, in one run; plus route convergence and
// 10,000-route memory/lookup. Loads only 127.0.0.1; every phase is bounded in time. Not a test.
//   node --import tsx bench/router/run.ts [--duration 8] [--rounds 3] [--connections 50] [--quick]
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, readFileSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { Etcd3 } from 'etcd3';
import { request } from 'undici';
import { startEmbeddedEtcd } from '../../src/store/embedded-etcd.js';
import { keys } from '../../src/store/keys.js';
import { buildRouteTable } from '../../src/router/route-table.js';
import { parseSnapshot } from '../../src/router/table-input.js';
import type { RouterOptions } from '../../src/router/options.js';
import { pct, median } from '../stats.js';
import { cpuSeconds } from '../proc.js';
import { writeSelfSigned } from './self-signed.js';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    variants: { type: 'string', default: 'w1-nolog,w1-log,w2-nolog,w2-log' },
    quick: { type: 'boolean', default: false },
    agent: { type: 'boolean', default: false },
    pipe: { type: 'boolean', default: false }, // add the floor of a Node proxy: a TCP pipe per connection (pipe-proxy.ts)
    tls: { type: 'boolean', default: false }, // add the TLS phase: HTTP/1.1 and HTTP/2 through nginx and yb-router (needs h2load)
    'cpu-prof': { type: 'string' }, // a directory: routers write V8 CPU profiles there (open in Chrome DevTools)
    baseline: { type: 'string' }, // a checkout of another commit (with node_modules): each variant runs from it too, for A/B in one run
    node: { type: 'string' }, // another node binary: each variant runs under it too
  },
});
const DURATION = Number(args.duration);
const ROUNDS = Number(args.rounds);
const CONNS = Number(args.connections);
const HOST = 'bench.localhost';
const here = new URL('.', import.meta.url).pathname;
const repo = join(here, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'yb-router-bench-'));
const children: ChildProcess[] = [];

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return p;
}

function nginx(name: string, conf: string, workers = 1, accessLog = 'off'): ChildProcess {
  const dir = join(work, name);
  execFileSync('mkdir', ['-p', dir]);
  const file = join(dir, 'nginx.conf');
  writeFileSync(
    file,
    `daemon off; master_process ${workers > 1 ? 'on' : 'off'}; worker_processes ${workers}; pid ${dir}/nginx.pid; error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http { access_log ${accessLog}; client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  keepalive_requests 1000000; ${conf} }\n`,
  );
  const c = spawn('/usr/sbin/nginx', ['-c', file, '-p', dir], { stdio: 'ignore' });
  children.push(c);
  return c;
}

async function waitHttp(url: string, host: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const r = await request(url, { headers: { host } });
      await r.body.dump();
      if (r.statusCode === 200) return;
    } catch {
      // not listening yet: poll until the deadline
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} (Host ${host}) did not answer 200 within ${timeoutMs} ms`);
}

/** Polls an HTTPS URL with curl (self-signed certificate) until it answers 200. */
async function waitHttps(url: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (execFileSync('curl', ['-ks', '-o', '/dev/null', '-w', '%{http_code}', '-H', `Host: ${HOST}`, url], { encoding: 'utf8' }) === '200') return;
    } catch {
      // not listening yet: poll until the deadline
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}

interface Result {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  total: number;
}

/** h2load against `url` (HTTP/2 unless `h1`): req/s, mean latency (as p50 and p99: h2load gives no percentiles) and failures. */
function h2load(url: string, h1: boolean, seconds = DURATION): Result {
  const out = execFileSync(
    '/usr/bin/h2load',
    ['-c', String(CONNS), '-m', '1', '-D', String(seconds), ...(h1 ? ['--h1'] : []), '-H', `:authority: ${HOST}`, url],
    { encoding: 'utf8', timeout: (seconds + 30) * 1000 },
  );
  const rps = Number(/finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(out)?.[1]);
  const failed = Number(/requests: \d+ total, \d+ started, \d+ done, \d+ succeeded, (\d+) failed/.exec(out)?.[1] ?? NaN);
  const mean = toMs(/time for request:\s+\S+\s+\S+\s+(\S+)/.exec(out)?.[1] ?? '');
  const total = Number(/requests: (\d+) total/.exec(out)?.[1]);
  return { rps, p50: mean, p99: mean, errors: failed, total };
}

/**
 * A yb-router process (bench/router/router-entry.ts) with `opts`, its access log in access-<name>.log; resolves once
 * it serves. `from`: another checkout to run it from and/or another node binary.
 */
async function startRouterChild(name: string, opts: RouterOptions, from: { dir?: string; node?: string } = {}): Promise<ChildProcess> {
  const prof = args['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', args['cpu-prof']] : [];
  const logFile = openSync(join(work, `access-${name.replace(/\W+/g, '_')}.log`), 'a');
  const dir = from.dir ?? repo;
  const entry = join(dir, 'bench', 'router', 'router-entry.ts');
  const child = spawn(from.node ?? process.execPath, [...prof, '--import', 'tsx', entry, JSON.stringify(opts)], {
    cwd: dir,
    stdio: ['ignore', logFile, 'pipe'],
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => ((err += d), /READY/.test(err) && resolve()));
    child.once('exit', (c) => reject(new Error(`router ${name} exited ${c}: ${err}`)));
  });
  return child;
}

/**
 * HTTPS, same certificate (the bench's P-256 pair, also the router's fallback) and default ciphers on both sides:
 * nginx 1 worker without access log against yb-router w1-nolog, and nginx 2 workers with its access log against
 * yb-router w2-log (the default configuration), both routers with HTTP/2 on. Modes: HTTP/1.1 keep-alive (wrk),
 * HTTP/1.1 with a new connection per request (wrk sending `Connection: close`; how many of nginx's were resumed is
 * read from its access log, `$ssl_session_reused`), HTTP/2 (h2load, one stream per connection).
 */
async function tlsPhase(
  pairs: Array<{ nginx: string; nginxUrl: string; nginxPid: number; router: string; over: Partial<RouterOptions> }>,
  base: (port: number, over: Partial<RouterOptions>) => RouterOptions,
  nginxLog: string,
  backendPort: number,
  froms: Array<[string, { dir?: string; node?: string }]>,
): Promise<void> {
  const targets: Record<string, { url: string; pid: number }> = {};
  // The floor of any Node HTTPS proxy (tls-pipe-proxy.ts), compared with nginx 1 worker.
  const floorPort = await freePort();
  const floor = spawn(
    process.execPath,
    ['--import', 'tsx', join(here, 'tls-pipe-proxy.ts'), String(floorPort), String(backendPort), join(work, 'tls.crt'), join(work, 'tls.key')],
    {
      cwd: repo,
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  children.push(floor);
  await new Promise<void>((resolve) => floor.stderr!.once('data', () => resolve()));
  const FLOOR = 'node TLS pipe (no HTTP, no routing)';
  // The ceiling of any Node HTTP/2 proxy: node:http2's core API answering by itself (h2-floor.ts).
  const h2Port = await freePort();
  const h2 = spawn(process.execPath, ['--import', 'tsx', join(here, 'h2-floor.ts'), String(h2Port), join(work, 'tls.crt'), join(work, 'tls.key')], {
    cwd: repo,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(h2);
  await new Promise<void>((resolve) => h2.stderr!.once('data', () => resolve()));
  const H2 = 'node:http2 core API answering itself (no proxy)';
  const rows: Array<[string, string]> = [];
  for (const p of pairs) {
    targets[p.nginx] = { url: p.nginxUrl, pid: p.nginxPid };
    rows.push([p.nginx, p.nginx]);
    for (const [suffix, from] of froms) {
      const name = p.router + suffix;
      const port = await freePort();
      const tlsPort = await freePort();
      const dataDir = join(work, `router-data-${name.replace(/\W+/g, '_')}`);
      execFileSync('mkdir', ['-p', join(dataDir, 'router-tls')]);
      writeFileSync(join(dataDir, 'router-tls', 'fallback.crt'), readFileSync(join(work, 'tls.crt')));
      writeFileSync(join(dataDir, 'router-tls', 'fallback.key'), readFileSync(join(work, 'tls.key')));
      const over = { ...p.over, tlsListen: { host: '127.0.0.1', port: tlsPort }, dataDir, http2: true };
      const child = await startRouterChild(`tls-${name}`, base(port, over), from);
      targets[name] = { url: `https://127.0.0.1:${tlsPort}/`, pid: child.pid! };
      rows.push([name, p.nginx]);
    }
  }
  rows.push([FLOOR, pairs[0]!.nginx], [H2, pairs[0]!.nginx]);
  targets[FLOOR] = { url: `https://127.0.0.1:${floorPort}/`, pid: floor.pid! };
  targets[H2] = { url: `https://127.0.0.1:${h2Port}/`, pid: h2.pid! };
  const modes: Record<string, (url: string) => Result> = {
    'HTTP/1.1 keep-alive': (url) => wrk(url),
    'HTTP/1.1 new connection each request': (url) => wrk(url, DURATION, ['-H', 'Connection: close']),
    'HTTP/2 (h2load -m1)': (url) => h2load(url, false),
  };
  for (const t of Object.values(targets)) wrkOrH2Warm(t.url);
  // What each target negotiated with an OpenSSL client like wrk's (the comparison holds only if they agree).
  const negotiated = Object.entries(targets).map(([name, t]) => `${name}: ${tlsOf(t.url)}`);
  const samples: Record<string, Array<Result & { cpuUs: number; rpsRatio: number; p99Ratio: number }>> = {};
  let reused = 0;
  let logged = 0;
  const loadBefore = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
  for (let round = 0; round < ROUNDS; round++) {
    for (const [mode, run] of Object.entries(modes)) {
      const got: Record<string, Result & { cpuUs: number }> = {};
      for (const [name, t] of Object.entries(targets)) {
        const logFrom = readFileSync(nginxLog, 'utf8').length;
        const c0 = treeCpuSeconds(t.pid);
        const r = run(t.url);
        got[name] = { ...r, cpuUs: ((treeCpuSeconds(t.pid).total - c0.total) * 1e6) / r.total };
        if (name === pairs[1]?.nginx && mode.includes('new connection')) {
          // Which of these requests came on a resumed TLS session (the log line's last field).
          const lines = readFileSync(nginxLog, 'utf8').slice(logFrom);
          reused += (lines.match(/ r$/gm) ?? []).length;
          logged += (lines.match(/ (r|\.)$/gm) ?? []).length;
        }
        process.stderr.write('.');
      }
      // Each row against the nginx of its pair; the floors against nginx 1 worker.
      for (const [name, refName] of rows) {
        const r = got[name]!;
        const ref = got[refName]!;
        (samples[`${mode} | ${name}`] ??= []).push({ ...r, rpsRatio: r.rps / ref.rps, p99Ratio: r.p99 / ref.p99 });
      }
    }
  }
  process.stderr.write('\n');
  console.log(
    `\nTLS (clients: ${execFileSync('openssl', ['version'], { encoding: 'utf8' }).trim()}): wrk -t1 -c${CONNS} / h2load -c${CONNS} -m1, ${DURATION} s, median of ${ROUNDS} rounds, ${new Date().toISOString()}, ${process.version}, load average ${loadBefore} → ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}`,
  );
  console.log(`negotiated: ${negotiated.join('; ')}`);
  console.log(
    `new connections: ${reused} of ${logged} requests to nginx 2 workers came on a resumed TLS session ($ssl_session_reused: wrk offers the previous connection's session)`,
  );
  console.log('| mode | target | req/s | p50 ms | p99 ms (h2load: mean) | errors | req/s ÷ nginx | p99 ÷ nginx | CPU µs/req |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const [name, ss] of Object.entries(samples)) {
    const m = (f: (s: (typeof ss)[number]) => number) => median(ss.map(f));
    console.log(
      `| ${name} | ${m((s) => s.rps).toFixed(0)} | ${m((s) => s.p50).toFixed(2)} | ${m((s) => s.p99).toFixed(2)} | ${ss.reduce((a, s) => a + s.errors, 0)} | ${m((s) => s.rpsRatio).toFixed(2)} | ${m((s) => s.p99Ratio).toFixed(2)} | ${m((s) => s.cpuUs).toFixed(1)} |`,
    );
  }
}

/** The protocol and cipher `openssl s_client` (the system OpenSSL, as wrk's) negotiates with `url`. */
function tlsOf(url: string): string {
  const { host } = new URL(url);
  const out = execFileSync('openssl', ['s_client', '-connect', host], { input: '', encoding: 'utf8', timeout: 10_000, stdio: ['pipe', 'pipe', 'ignore'] });
  const m = /New, (\S+), Cipher is (\S+)/.exec(out);
  const group = /Server Temp Key: (\w+)/.exec(out)?.[1] ?? '?';
  return m ? `${m[1]} ${m[2]} ${group}` : 'unknown';
}

/** A 2-second warm-up of both clients against `url`. */
function wrkOrH2Warm(url: string): void {
  wrk(url, 2);
  h2load(url, false, 2);
}

function toMs(s: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(s.trim());
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}

function wrk(url: string, seconds = DURATION, extra: string[] = []): Result {
  const out = execFileSync('/usr/bin/wrk', ['-t', '1', '-c', String(CONNS), '-d', `${seconds}s`, '--latency', '-H', `Host: ${HOST}`, ...extra, url], {
    encoding: 'utf8',
    timeout: (seconds + 30) * 1000,
  });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p50 = toMs(/\s50%\s+(\S+)/.exec(out)?.[1] ?? '');
  const p99 = toMs(/\s99%\s+(\S+)/.exec(out)?.[1] ?? '');
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const sockErr = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = non2xx + (sockErr ? sockErr.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  const total = Number(/(\d+) requests in/.exec(out)?.[1]);
  return { rps, p50, p99, errors, total };
}

const NGINX2 = 'nginx 2 workers';
/**
 * TLS 1.3 for nginx as for Node: Debian's nginx 1.22 offers only TLS 1.0–1.2 unless told (1.23.4 added 1.3 to the
 * default), and a TLS 1.2 session resumes without a key exchange while a TLS 1.3 one does an X25519 exchange too
 * (psk_dhe_ke, the only mode OpenSSL clients offer): before 2026-12-05 17:00Z the bench compared nginx's TLS 1.2 with
 * the router's TLS 1.3. tlsPhase prints what each target negotiated.
 */
const NGINX_TLS = 'ssl_protocols TLSv1.2 TLSv1.3;';
/** nginx setting only Host, X-Forwarded-For and -Proto (no request id): the reference before 2026-11-26 13:40Z. */
const NGINX_FEWER = 'nginx, fewer headers (no request id)';
/** The nginx a target is compared with: the one with as many worker processes. */
const referenceOf = (name: string, present: Record<string, unknown>) => (/\bw2-/.test(name) && NGINX2 in present ? NGINX2 : 'nginx');

async function main() {
  const etcdPort = await freePort();
  const etcd = await startEmbeddedEtcd({ dataDir: join(work, 'etcd'), clientPort: etcdPort, peerPort: await freePort() });
  const client = new Etcd3({ hosts: etcd.endpoint });
  const prefix = `/yb-bench-${process.pid}/`;
  const k = keys(prefix);
  try {
    const backendPort = await freePort();
    const backendProc = nginx('backend', `server { listen 127.0.0.1:${backendPort}; location / { return 200 "hello from the backend\\n"; } }`);
    const nginxPort = await freePort();
    const nginxTlsPort = await freePort();
    // nginx sets the request headers the router sets (X-Request-Id kept if sent, else nginx's own 32-hex id), so
    // both do the same job; `requestIdMap` goes in nginx's http block.
    const requestIdMap = 'map $http_x_request_id $yb_request_id { default $http_x_request_id; "" $request_id; }';
    const fewerHeaders = `proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection "";
        proxy_set_header Host $host; proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; proxy_set_header X-Forwarded-Proto $scheme;`;
    const proxyLocation = `location / { ${fewerHeaders}
        proxy_set_header X-Forwarded-Port $server_port; proxy_set_header X-Forwarded-Host $host; proxy_set_header X-Request-Id $yb_request_id; }`;
    let tlsServer = '';
    if (args.tls) {
      writeSelfSigned(work, HOST);
      tlsServer = `server { listen 127.0.0.1:${nginxTlsPort} ssl http2; ssl_certificate ${work}/tls.crt; ssl_certificate_key ${work}/tls.key; ${NGINX_TLS} ${proxyLocation} }`;
    }
    const nginxProc = nginx(
      'proxy',
      `${requestIdMap} upstream app { server 127.0.0.1:${backendPort}; keepalive 64; }
      server { listen 127.0.0.1:${nginxPort}; ${proxyLocation} } ${tlsServer}`,
    );
    await client
      .put(k.route(HOST))
      .value(JSON.stringify({ app: 'bench' }))
      .exec();
    await client
      .put(k.endpoint('bench', 'web', 'web.1'))
      .value(JSON.stringify({ host: '127.0.0.1', port: backendPort, release: 1, container: 'nginx' }))
      .exec();

    const base = (port: number, over: Partial<RouterOptions>): RouterOptions => ({
      listen: { host: '127.0.0.1', port },
      adminListen: { host: '127.0.0.1', port: 0 },
      etcdEndpoints: [etcd.endpoint],
      prefix,
      workers: 1,
      id: `bench-${port}`,
      logLevel: 'info',
      accessLogSample: 1,
      headersTimeoutMs: 60_000,
      bodyTimeoutMs: 0,
      connectTimeoutMs: 5000,
      ejectMs: 5000,
      maxAttempts: 3,
      shutdownGraceMs: 2000,
      clientKeepAliveMs: 65_000,
      debounceMs: 5,
      ...over,
    });
    const variantDefs: Record<string, Partial<RouterOptions>> = {
      'w1-nolog': { workers: 1, accessLogSample: 0 },
      'w1-log': { workers: 1, accessLogSample: 1 },
      'w2-nolog': { workers: 2, accessLogSample: 0 },
      'w2-log': { workers: 2, accessLogSample: 1 },
      'w1-log10': { workers: 1, accessLogSample: 0.1 },
      'w2-log10': { workers: 2, accessLogSample: 0.1 },
      // node:http + undici for every request (the data path before the byte-level fast path), for comparison
      'w1-nolog-http': { workers: 1, accessLogSample: 0, noFastPath: true },
      'w1-log-http': { workers: 1, accessLogSample: 1, noFastPath: true },
      'w2-log-http': { workers: 2, accessLogSample: 1, noFastPath: true },
    };
    const variants = args.variants!.split(',').filter((v) => variantDefs[v]);
    const routers: Record<string, { url: string; child: ChildProcess }> = {};
    // --baseline / --node: the same variants from another checkout or under another node, interleaved in the rounds.
    const froms: Array<[string, { dir?: string; node?: string }]> = [['', {}]];
    if (args.baseline) froms.push([' (baseline)', { dir: args.baseline }]);
    if (args.node) froms.push([` (${execFileSync(args.node, ['--version'], { encoding: 'utf8' }).trim()})`, { node: args.node }]);
    for (const v of variants) {
      for (const [suffix, from] of froms) {
        const port = await freePort();
        const child = await startRouterChild(v + suffix, base(port, variantDefs[v]!), from);
        routers[`yb-router ${v}${suffix}`] = { url: `http://127.0.0.1:${port}/`, child };
      }
    }
    // Comparison points outside the router: --agent, the smallest node:http proxy; --pipe, the floor of any Node
    // proxy (bytes copied between a client connection and its own upstream connection, no HTTP at all).
    const extras: Array<[boolean | undefined, string, string]> = [
      [args.agent, 'agent-proxy.ts', 'node http.Agent proxy (no routing)'],
      [args.pipe, 'pipe-proxy.ts', 'node TCP pipe (no HTTP, no routing)'],
    ];
    for (const [wanted, file, name] of extras) {
      if (!wanted) continue;
      const port = await freePort();
      const child = spawn(process.execPath, ['--import', 'tsx', join(here, file), String(port), String(backendPort)], {
        cwd: repo,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      children.push(child);
      await new Promise<void>((resolve) => child.stderr!.once('data', () => resolve()));
      routers[name] = { url: `http://127.0.0.1:${port}/`, child };
    }
    const targets: Record<string, string> = { direct: `http://127.0.0.1:${backendPort}/`, nginx: `http://127.0.0.1:${nginxPort}/` };
    const fewerPort = await freePort();
    const fewerPid = nginx(
      'fewer',
      `upstream app { server 127.0.0.1:${backendPort}; keepalive 64; } server { listen 127.0.0.1:${fewerPort}; location / { ${fewerHeaders} } }`,
    ).pid!;
    targets[NGINX_FEWER] = `http://127.0.0.1:${fewerPort}/`;
    // yb-router with 2 workers is compared with nginx with 2 workers (same number of cores).
    let nginx2Pid: number | undefined;
    if (variants.some((v) => v.startsWith('w2'))) {
      const port2 = await freePort();
      nginx2Pid = nginx(
        'proxy2',
        `${requestIdMap} upstream app { server 127.0.0.1:${backendPort}; keepalive 64; } server { listen 127.0.0.1:${port2}; ${proxyLocation} }`,
        2,
      ).pid!;
      targets[NGINX2] = `http://127.0.0.1:${port2}/`;
    }
    for (const [name, r] of Object.entries(routers)) targets[name] = r.url;
    // CPU time of the process tree that serves each target: per request it does not depend on how busy the
    // machine is, unlike req/s and p99 (this machine is shared).
    const pidsOf: Record<string, number> = { direct: backendProc.pid!, nginx: nginxProc.pid!, [NGINX_FEWER]: fewerPid };
    if (nginx2Pid) pidsOf[NGINX2] = nginx2Pid;
    for (const [name, r] of Object.entries(routers)) pidsOf[name] = r.child.pid!;
    for (const url of Object.values(targets)) await waitHttp(url, HOST);

    // Warm-up, then rounds with the targets interleaved so drift hits all of them alike.
    for (const url of Object.values(targets)) wrk(url, 2);
    const samples: Record<
      string,
      Array<Result & { cpuUs: number; userUs: number; rpsRatio: number; p99Ratio: number; fewerRps: number; fewerP99: number }>
    > = {};
    const loadBefore = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
    for (let round = 0; round < ROUNDS; round++) {
      const thisRound: Record<string, Result & { cpuUs: number; userUs: number }> = {};
      for (const [name, url] of Object.entries(targets)) {
        const cpu0 = treeCpuSeconds(pidsOf[name]!);
        const r = wrk(url);
        const cpu1 = treeCpuSeconds(pidsOf[name]!);
        thisRound[name] = { ...r, cpuUs: ((cpu1.total - cpu0.total) * 1e6) / r.total, userUs: ((cpu1.user - cpu0.user) * 1e6) / r.total };
        process.stderr.write('.');
      }
      // Ratios are taken within a round (seconds apart), then their median: drift between rounds cancels.
      for (const [name, r] of Object.entries(thisRound)) {
        const ref = thisRound[referenceOf(name, thisRound)]!;
        const fewer = thisRound[NGINX_FEWER]!;
        (samples[name] ??= []).push({ ...r, rpsRatio: r.rps / ref.rps, p99Ratio: r.p99 / ref.p99, fewerRps: r.rps / fewer.rps, fewerP99: r.p99 / fewer.p99 });
      }
    }
    process.stderr.write('\n');
    const load = `${loadBefore} → ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}`;
    console.log(
      `\nthroughput: wrk -t1 -c${CONNS} -d${DURATION}s, median of ${ROUNDS} rounds, ${new Date().toISOString()}, ${process.version}, load average ${load}`,
    );
    console.log(
      'ratios: each yb-router row against nginx with as many workers (w1 → nginx, w2 → nginx 2 workers); both nginx set the request headers the router sets',
    );
    console.log('| target | req/s | p50 ms | p99 ms | errors | req/s ÷ nginx | p99 ÷ nginx | CPU µs/req | of which user | CPU ÷ nginx |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    const cpuOf = (name: string) => median(samples[name]!.map((s) => s.cpuUs));
    for (const [name, ss] of Object.entries(samples)) {
      const errors = ss.reduce((a, s) => a + s.errors, 0);
      const cpu = median(ss.map((s) => s.cpuUs));
      const m = (f: (s: (typeof ss)[number]) => number) => median(ss.map(f));
      console.log(
        `| ${name} | ${m((s) => s.rps).toFixed(0)} | ${m((s) => s.p50).toFixed(2)} | ${m((s) => s.p99).toFixed(2)} | ${errors} | ${m((s) => s.rpsRatio).toFixed(2)} | ${m((s) => s.p99Ratio).toFixed(2)} | ${cpu.toFixed(1)} | ${m((s) => s.userUs).toFixed(1)} | ${(cpu / cpuOf(referenceOf(name, samples))).toFixed(2)} |`,
      );
    }

    console.log(`\nagainst ${NGINX_FEWER}, which does less than the router (median of the rounds' ratios):`);
    for (const [name, ss] of Object.entries(samples)) {
      if (name.startsWith('yb-router w1'))
        console.log(`- ${name}: req/s ${median(ss.map((s) => s.fewerRps)).toFixed(2)}×, p99 ${median(ss.map((s) => s.fewerP99)).toFixed(2)}×`);
    }

    if (args.tls) {
      // nginx 2 workers over TLS with an access log (with `$ssl_session_reused`), against the router's default.
      const tls2Port = await freePort();
      const nginxLog = join(work, 'nginx-tls2-access.log');
      const tls2Pid = nginx(
        'proxy2-tls',
        `${requestIdMap} log_format yb '$remote_addr [$time_local] "$request" $status $body_bytes_sent $request_time $yb_request_id $ssl_session_reused';
        upstream app { server 127.0.0.1:${backendPort}; keepalive 64; }
        server { listen 127.0.0.1:${tls2Port} ssl http2; ssl_certificate ${work}/tls.crt; ssl_certificate_key ${work}/tls.key; ${NGINX_TLS} access_log ${nginxLog} yb; ${proxyLocation} }`,
        2,
      ).pid!;
      await waitHttps(`https://127.0.0.1:${tls2Port}/`);
      await tlsPhase(
        [
          {
            nginx: 'nginx 1 worker, no log',
            nginxUrl: `https://127.0.0.1:${nginxTlsPort}/`,
            nginxPid: nginxProc.pid!,
            router: 'yb-router w1-nolog',
            over: { workers: 1, accessLogSample: 0 },
          },
          {
            nginx: 'nginx 2 workers, access log',
            nginxUrl: `https://127.0.0.1:${tls2Port}/`,
            nginxPid: tls2Pid,
            router: 'yb-router w2-log (default)',
            over: { workers: 2, accessLogSample: 1 },
          },
        ],
        base,
        nginxLog,
        backendPort,
        froms,
      );
    }

    // Route convergence: etcd write → first request routed by the first router.
    const first = Object.values(routers).find((r) => r.url)!;
    const conv: number[] = [];
    const putAck: number[] = [];
    const n = args.quick ? 20 : 100;
    for (let i = 0; i < n; i++) {
      const host = `conv${i}.localhost`;
      const t0 = performance.now();
      await client
        .put(k.route(host))
        .value(JSON.stringify({ app: 'bench' }))
        .exec();
      putAck.push(performance.now() - t0);
      const deadline = t0 + 5000;
      for (;;) {
        const r = await request(first.url, { headers: { host } });
        await r.body.dump();
        if (r.statusCode === 200) break;
        if (performance.now() > deadline) throw new Error(`route ${host} not routed within 5 s`);
      }
      conv.push(performance.now() - t0);
    }
    console.log(
      `\nroute convergence (etcd put → first 200 through ${Object.keys(routers)[0]}), ${n} samples: p50 ${pct(conv, 0.5).toFixed(1)} ms, p99 ${pct(conv, 0.99).toFixed(1)} ms (of which the put itself: p50 ${pct(putAck, 0.5).toFixed(1)} ms, p99 ${pct(putAck, 0.99).toFixed(1)} ms)`,
    );

    // 10,000 routes: table build, lookup time and memory, in this process and in a router process.
    const kvs = new Map<string, string>();
    for (let i = 0; i < 10_000; i++) {
      kvs.set(k.route(`app${i}.example.com`), JSON.stringify({ app: `app${i}` }));
      kvs.set(k.endpoint(`app${i}`, 'web', 'web.1'), JSON.stringify({ host: '127.0.0.1', port: 20000 + (i % 40000), release: 1, container: `c${i}` }));
    }
    global.gc?.();
    const heap0 = process.memoryUsage().heapUsed;
    const tb = performance.now();
    const table = buildRouteTable(parseSnapshot(prefix, kvs, 1));
    const buildMs = performance.now() - tb;
    global.gc?.();
    const heapMb = (process.memoryUsage().heapUsed - heap0) / 1e6;
    const hosts = Array.from({ length: 1000 }, (_, i) => `app${(i * 7919) % 10_000}.example.com:8080`);
    let hit = 0;
    const tl = performance.now();
    for (let j = 0; j < 1000; j++) for (const h of hosts) if (table.lookup(h)) hit++;
    const lookupNs = ((performance.now() - tl) * 1e6) / 1e6;
    if (hit !== 1e6) throw new Error('lookup missed');
    const rssBefore = rssMb(first.child.pid!);
    const t10 = performance.now();
    const entries = [...kvs];
    for (let i = 0; i < entries.length; i += 100) {
      const txn = client.if(k.route('none'), 'Version', '==', 0);
      await txn.then(...entries.slice(i, i + 100).map(([key, v]) => client.put(key).value(v))).commit();
    }
    const writtenMs = performance.now() - t10;
    const t11 = performance.now();
    for (let deadline = Date.now() + 30_000; Date.now() < deadline; ) {
      const r = await request(first.url, { headers: { host: 'app9999.example.com' } });
      await r.body.dump();
      if (r.statusCode !== 404) break;
    }
    const applyMs = performance.now() - t11;
    console.log(
      `10,000 routes + endpoints: table build ${buildMs.toFixed(0)} ms, ~${heapMb.toFixed(1)} MB heap (${global.gc ? 'after gc' : 'no --expose-gc, rough'}), lookup ${lookupNs.toFixed(0)} ns (host with port); ${Object.keys(routers)[0]} RSS ${rssBefore.toFixed(0)} → ${rssMb(first.child.pid!).toFixed(0)} MB; bulk load in 200 transactions written in ${writtenMs.toFixed(0)} ms, last route routed ${applyMs.toFixed(0)} ms after the last write`,
    );
  } finally {
    client.close();
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode !== null || c.signalCode ? undefined : new Promise((r) => c.once('exit', r)))));
    await etcd.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/** CPU seconds of `pid` and its child processes (cluster workers) so far: user, system and both. */
function treeCpuSeconds(pid: number): { user: number; system: number; total: number } {
  let user = 0;
  let system = 0;
  const pids = [pid];
  try {
    const kids = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((l) => Number(l.trim()))
      .filter((n) => n > 0);
    pids.push(...kids);
  } catch {
    // ps exits 1 when there are no children
  }
  for (const p of pids) {
    const c = cpuSeconds(p); // a process that just exited adds nothing
    user += c.user;
    system += c.system;
  }
  return { user, system, total: user + system };
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

await main();
