// bench/scale: density of one host (issue #21 item 1). Starts the real platform, deploys a tiny image (busybox httpd
// on scratch) to N apps, one web process each, and prints at each step (the first `--step` apps, then all N): ybd,
// etcd and router RSS and CPU at idle, etcd's db size, `yb apps` and GET /apps latency, router table build time and
// route convergence under deploys, the time a restarted ybd takes to adopt every process (and how many it restarted),
// and memory per app process against plain `docker run`s of the same image (the reference, same run). Per-app costs
// at both steps show what grows faster than linearly. Not a test: nothing is asserted. Run under the bench lock:
//   flock /tmp/yb-bench.lock node --import tsx bench/scale/run.ts [--apps 1000] [--step 100] [--idle 60] [--skip-restart]
// Everything it made (apps' containers, networks, the fixture image, reference containers) carries the platform
// instance's label and is removed at the end, also on failure, Ctrl-C or SIGTERM (Platform.stop, cleanupDocker).
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Etcd3 } from 'etcd3';
import { startPlatform, httpGet, cleanupDocker, type Platform } from '../../test/helpers/platform.js';
import { TableInputBuilder } from '../../src/router/table-input.js';
import { buildRouteTable } from '../../src/router/route-table.js';
import { keys } from '../../src/store/keys.js';
import { pct, median } from '../stats.js';
import { cpuSeconds } from '../proc.js';

const run = promisify(execFile);
const argv = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const N = opt('apps', 1000);
const STEP = Math.min(opt('step', 100), N);
const IDLE_S = opt('idle', 60);
const CONCURRENCY = opt('concurrency', 6);
const REFERENCE = 10;

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

let platform: Platform | undefined;
let cleaning: Promise<void> | undefined;
/** Stops the platform and removes what it labelled; every caller (a second Ctrl-C too) waits for the one cleanup. */
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    if (!platform) return;
    // Containers first, 25 at a time (ybd only withdraws their endpoints): Debian's engine 20.10 deadlocked in
    // libnetwork when ~1,000 containers of one network were removed by one `docker rm -f` in Platform.stop's cleanup
    // (every network call, container removal and `docker info` then hung until dockerd was restarted).
    await removeInBatches(platform.instance).catch((err: unknown) => console.error('removing the containers:', err));
    await platform.stop().catch((err: unknown) => console.error('stopping the platform:', err));
    await cleanupDocker(platform.instance).catch((err: unknown) => console.error('removing what the bench made:', err));
  })();
  return cleaning;
}
/** Removes the containers of `instance`, a few at a time. */
async function removeInBatches(instance: string): Promise<void> {
  const { stdout } = await run('docker', ['ps', '-aq', '--filter', `label=yunbang.instance=${instance}`]);
  const ids = stdout.trim().split('\n').filter(Boolean);
  for (let i = 0; i < ids.length; i += 25) await run('docker', ['rm', '-f', ...ids.slice(i, i + 25)]);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    console.error(`\n${signal}: removing every app, container and image this bench made`);
    void cleanup().finally(() => process.exit(130));
  });

/** An API call as the admin; throws with the answer's message unless 2xx. */
async function api<T>(p: Platform, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${p.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${p.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** The fixture: FROM scratch with Debian's static busybox serving one page on $PORT (busybox-static installed if missing). */
async function fixtureImage(p: Platform): Promise<string> {
  if (!existsSync('/bin/busybox')) await run('apt-get', ['install', '-y', '-q', 'busybox-static']);
  const dir = join(p.dataDir, 'scale-fixture');
  mkdirSync(join(dir, 'www'), { recursive: true });
  copyFileSync('/bin/busybox', join(dir, 'busybox'));
  writeFileSync(join(dir, 'www', 'index.html'), 'scale ok\n');
  writeFileSync(
    join(dir, 'Dockerfile'),
    [
      'FROM scratch',
      'COPY busybox /bin/busybox',
      'COPY busybox /bin/sh',
      'COPY www /www',
      'EXPOSE 5000',
      'CMD ["/bin/sh", "-c", "exec /bin/busybox httpd -f -p ${PORT:-5000} -h /www"]',
      '',
    ].join('\n'),
  );
  const tag = `yb-scale-fixture-${p.instance}:1`;
  await run('docker', ['build', '-q', '--label', `yunbang.instance=${p.instance}`, '-t', tag, dir]);
  return tag;
}

type Proc = 'ybd' | 'etcd' | 'router' | 'engine';

/** Processes of the platform: ybd, its embedded etcd, the router (primary and workers): those with this instance's data dir in their environment or command line (a restarted ybd's router may be the old one). */
function platformPids(p: Platform): Record<Proc, number[]> {
  const out: Record<Proc, number[]> = { ybd: [], etcd: [], router: [], engine: [] };
  for (const d of safeReaddir('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    const cmd = safeRead(`/proc/${d}/cmdline`).replaceAll('\0', ' ');
    // The engine serves the platform's list, stats and log calls: its CPU at idle is the platform's too.
    if (/^(\S*\/)?(dockerd|containerd) /.test(cmd)) out.engine.push(Number(d));
    if (!safeRead(`/proc/${d}/environ`).includes(`YB_DATA_DIR=${p.dataDir}\0`) && !cmd.includes(p.dataDir)) continue;
    if (/yb-router/.test(cmd)) out.router.push(Number(d));
    else if (/(^|\/)etcd /.test(cmd)) out.etcd.push(Number(d));
    else if (/ybd\.js/.test(cmd)) out.ybd.push(Number(d));
  }
  return out;
}
const safeReaddir = (d: string) => {
  try {
    return readdirSync(d);
  } catch {
    return [];
  }
};
const safeRead = (f: string) => {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return '';
  }
};
const cpuOf = (pid: number) => {
  const c = cpuSeconds(pid);
  return c.user + c.system;
};
const memAvailable = () => Number(/MemAvailable:\s+(\d+)/.exec(safeRead('/proc/meminfo'))?.[1] ?? NaN) * 1024;
const rssBytes = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(safeRead(`/proc/${pid}/status`))?.[1] ?? 0) * 1024;

/** RSS and CPU (% of one core) of each platform process over `seconds` of idle. */
async function idle(p: Platform, seconds: number): Promise<Record<Proc, { rss: number; cpu: number }>> {
  const pids = platformPids(p);
  const before = Object.fromEntries(Object.entries(pids).map(([k, ps]) => [k, ps.reduce((s, x) => s + cpuOf(x), 0)]));
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const res = {} as Record<Proc, { rss: number; cpu: number }>;
  for (const [k, ps] of Object.entries(pids) as Array<[Proc, number[]]>) {
    const used = ps.reduce((s, x) => s + cpuOf(x), 0) - before[k]!;
    res[k] = { rss: ps.reduce((s, x) => s + rssBytes(x), 0), cpu: (100 * used) / seconds };
  }
  return res;
}

async function etcdStats(p: Platform): Promise<{ dbBytes: number; inUse: number; keys: number }> {
  const text = await (await fetch(`http://127.0.0.1:${p.env.YB_ETCD_PORT}/metrics`)).text();
  const metric = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return {
    dbBytes: metric('etcd_mvcc_db_total_size_in_bytes'),
    inUse: metric('etcd_mvcc_db_total_size_in_use_in_bytes'),
    keys: metric('etcd_debugging_mvcc_keys_total'),
  };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** Runs `fn` over `items` with at most `limit` at once. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** Memory of containers (cgroup usage as `docker stats` reports it) and the PSS of their containerd shims. */
async function containerMemory(ids: string[]): Promise<{ cgroup: number; shim: number }> {
  const { stdout } = await run('docker', ['stats', '--no-stream', '--format', '{{.ID}} {{.MemUsage}}', ...ids]);
  const unit: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, kB: 1000, MB: 1e6 };
  const mem = stdout
    .trim()
    .split('\n')
    .map((l) => {
      const m = /^\S+ ([\d.]+)(\w+) \//.exec(l);
      return m ? Number(m[1]) * (unit[m[2]!] ?? 1) : NaN;
    });
  // The shim's proportional share (PSS): its binary's pages are shared by every shim, RSS would count them each time.
  const { stdout: ps } = await run('ps', ['-eo', 'pid=,args=']);
  const shims = ps
    .split('\n')
    .filter((l) => /containerd-shim/.test(l) && ids.some((id) => l.includes(id.slice(0, 12))))
    .map((l) => Number(/^Pss:\s+(\d+)/m.exec(safeRead(`/proc/${l.trim().split(/\s+/)[0]}/smaps_rollup`))?.[1] ?? NaN) * 1024);
  return { cgroup: median(mem), shim: shims.length ? median(shims) : NaN };
}

/** Running containers of the platform's apps: id → StartedAt. */
async function appContainers(p: Platform): Promise<Map<string, string>> {
  const { stdout } = await run('docker', [
    'ps',
    '-q',
    '--no-trunc',
    '--filter',
    `label=yunbang.instance=${p.instance}`,
    '--filter',
    'label=yunbang.kind=process',
  ]);
  const ids = stdout.trim().split('\n').filter(Boolean);
  const m = new Map<string, string>();
  for (let i = 0; i < ids.length; i += 200) {
    const { stdout: s } = await run('docker', ['inspect', '--format', '{{.Id}} {{.State.StartedAt}}', ...ids.slice(i, i + 200)]);
    for (const l of s.trim().split('\n')) m.set(l.split(' ')[0]!, l.split(' ')[1]!);
  }
  return m;
}

interface Step {
  apps: number;
  deployMs: number[];
  idle: Awaited<ReturnType<typeof idle>>;
  etcd: Awaited<ReturnType<typeof etcdStats>>;
  getApps: number[];
  ybApps: number[];
  ybVersion: number[];
  tableFull: number;
  tableOne: number[];
  converge: number[];
  adoptMs?: number;
  restarted?: number;
  adopted?: number;
  appMem: { cgroup: number; shim: number };
  /** MemAvailable of the host, bytes (the drop from before the apps, per app, is what each app costs the host). */
  memAvailable: number;
}

/** Route table build (all keys) and rebuild after one changed endpoint, from the real routes/ and endpoints/ keys. */
async function tableTimes(p: Platform): Promise<{ full: number; one: number[] }> {
  const etcd = new Etcd3({ hosts: `http://127.0.0.1:${p.env.YB_ETCD_PORT}` });
  try {
    const k = keys();
    const kv = new Map<string, string>();
    for (const prefix of [k.routesPrefix(), k.endpointsPrefix()])
      for (const [key, v] of Object.entries(await etcd.getAll().prefix(prefix).strings())) kv.set(key, v);
    const builder = new TableInputBuilder(k.prefix);
    const t = performance.now();
    builder.apply({ set: [...kv], del: [] });
    buildRouteTable(builder.input(1));
    const full = performance.now() - t;
    const one: number[] = [];
    const eps = [...kv].filter(([key]) => key.startsWith(k.endpointsPrefix()));
    for (let i = 0; i < 30 && eps.length; i++) {
      const [key, v] = eps[i % eps.length]!;
      const rec = { ...(JSON.parse(v) as object), release: 1000 + i };
      one.push(await timed(async () => buildRouteTable((builder.apply({ set: [[key, JSON.stringify(rec)]], del: [] }), builder.input(2 + i)))));
    }
    return { full, one };
  } finally {
    etcd.close();
  }
}

/** Adds `rounds` custom domains while redeploys run, each timed from the API's answer (etcd written) to the router's first 200. */
async function convergence(p: Platform, image: string, apps: number, rounds: number): Promise<number[]> {
  let deploying = true;
  const redeploys = (async () => {
    for (let i = 0; deploying; i++) await api(p, 'POST', `/apps/scale-${(i % Math.min(apps, 20)) + 1}/image-deploys`, { image });
  })();
  const out: number[] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      const host = `c${i}-${Date.now().toString(36)}.scale.test`;
      const app = `scale-${1 + Math.floor(Math.random() * apps)}`;
      await api(p, 'POST', `/apps/${app}/domains`, { hostname: host });
      const t = performance.now();
      const deadline = Date.now() + 30_000;
      while ((await httpGet(p.routerPort, host)).status !== 200) if (Date.now() > deadline) throw new Error(`${host} was not routed within 30 s`);
      out.push(performance.now() - t);
      await api(p, 'DELETE', `/apps/${app}/domains/${host}`);
    }
  } finally {
    deploying = false;
    await redeploys;
  }
  return out;
}

async function measureStep(p: Platform, image: string, apps: number, deployMs: number[], restart: boolean): Promise<Step> {
  // Every app answers through the router before the idle window.
  for (let i = 1; i <= apps; i++) {
    const deadline = Date.now() + 60_000;
    while ((await httpGet(p.routerPort, `scale-${i}.localhost`)).status !== 200) {
      if (Date.now() > deadline) throw new Error(`scale-${i} is not served`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  console.error(`[${apps} apps] idle ${IDLE_S} s`);
  const idleStats = await idle(p, IDLE_S);
  const etcd = await etcdStats(p);
  const getApps: number[] = [];
  for (let i = 0; i < 20; i++) getApps.push(await timed(() => api(p, 'GET', '/apps')));
  const ybApps: number[] = [];
  const ybVersion: number[] = [];
  for (let i = 0; i < 5; i++) {
    ybApps.push(await timed(() => p.yb(['apps'])));
    ybVersion.push(await timed(() => p.yb(['version'])));
  }
  const table = await tableTimes(p);
  const sample = [...(await appContainers(p)).keys()].slice(0, REFERENCE);
  const appMem = await containerMemory(sample);
  const step: Step = {
    apps,
    deployMs,
    idle: idleStats,
    etcd,
    getApps,
    ybApps,
    ybVersion,
    tableFull: table.full,
    tableOne: table.one,
    converge: [],
    appMem,
    memAvailable: memAvailable(),
  };
  if (restart) {
    console.error(`[${apps} apps] kill -9 of ybd, then a restart that adopts every process`);
    const before = await appContainers(p);
    p.kill9();
    await new Promise((r) => p.child.once('exit', r));
    step.adoptMs = await timed(() => p.restart());
    const after = await appContainers(p);
    step.adopted = [...before].filter(([id, started]) => after.get(id) === started).length;
    step.restarted = before.size - step.adopted;
  }
  console.error(`[${apps} apps] route convergence under redeploys`);
  step.converge = await convergence(p, image, apps, 40);
  return step;
}

async function main(): Promise<void> {
  const load0 = loadavg();
  const startMs = await timed(async () => (platform = await startPlatform({ YB_HEALTH_UPTIME: '1' })));
  const p = platform!;
  const image = await fixtureImage(p);
  const available0 = memAvailable();
  // Reference: the same image with plain `docker run`, PORT as the platform sets it.
  const refIds: string[] = [];
  for (let i = 0; i < REFERENCE; i++) {
    const { stdout } = await run('docker', ['run', '-d', '--label', `yunbang.instance=${p.instance}`, '-e', 'PORT=5000', image]);
    refIds.push(stdout.trim());
  }
  const refMem = await containerMemory(refIds);
  const steps: Step[] = [];
  let made = 0;
  for (const target of [...new Set([STEP, N])]) {
    const names = Array.from({ length: target - made }, (_, i) => `scale-${made + i + 1}`);
    const deployMs: number[] = [];
    const t = Date.now();
    await pool(names, CONCURRENCY, async (name) => {
      await api(p, 'POST', '/apps', { name });
      deployMs.push(await timed(() => api(p, 'POST', `/apps/${name}/image-deploys`, { image })));
      if (deployMs.length % 50 === 0) console.error(`  ${made + deployMs.length} apps deployed (${((Date.now() - t) / 1000).toFixed(0)} s)`);
    });
    made = target;
    steps.push(await measureStep(p, image, made, deployMs, !argv.includes('--skip-restart')));
    // Printed at each step, so a run cut short (the bench lock's time) still shows what it measured.
    report(steps, refMem, available0);
  }
  console.log(
    `\nPlatform start (no apps): ${(startMs / 1000).toFixed(1)} s. Load average (1, 5, 15 min) at start ${load0.map((x) => x.toFixed(2)).join(', ')}, at end ${loadavg()
      .map((x) => x.toFixed(2))
      .join(', ')}.`,
  );
}

function report(steps: Step[], refMem: { cgroup: number; shim: number }, available0: number): void {
  const cols = steps.map((s) => `${s.apps} apps`);
  const rows: Array<[string, ...string[]]> = [
    [
      `deploy:image per app, ${CONCURRENCY} at once, p50 / p99 (s)`,
      ...steps.map((s) => `${(median(s.deployMs) / 1000).toFixed(2)} / ${(pct(s.deployMs, 0.99) / 1000).toFixed(2)}`),
    ],
    ['ybd RSS (MiB)', ...steps.map((s) => mib(s.idle.ybd.rss))],
    [`ybd CPU at idle over ${IDLE_S} s (% of a core)`, ...steps.map((s) => s.idle.ybd.cpu.toFixed(2))],
    ['etcd RSS (MiB) / CPU at idle (%)', ...steps.map((s) => `${mib(s.idle.etcd.rss)} / ${s.idle.etcd.cpu.toFixed(2)}`)],
    ['router RSS, all processes (MiB) / CPU at idle (%)', ...steps.map((s) => `${mib(s.idle.router.rss)} / ${s.idle.router.cpu.toFixed(2)}`)],
    ['Docker engine (dockerd + containerd) CPU at idle (%)', ...steps.map((s) => s.idle.engine.cpu.toFixed(2))],
    ['etcd db size / in use (MiB), keys', ...steps.map((s) => `${mib(s.etcd.dbBytes)} / ${mib(s.etcd.inUse)}, ${s.etcd.keys}`)],
    ['GET /apps p50 / p99 (ms)', ...steps.map((s) => `${median(s.getApps).toFixed(1)} / ${pct(s.getApps, 0.99).toFixed(1)}`)],
    ['`yb apps` p50 / p99 (ms)', ...steps.map((s) => `${median(s.ybApps).toFixed(0)} / ${pct(s.ybApps, 0.99).toFixed(0)}`)],
    ['reference: `yb version` p50 (ms)', ...steps.map((s) => median(s.ybVersion).toFixed(0))],
    ['router table: full build (ms)', ...steps.map((s) => s.tableFull.toFixed(2))],
    ['router table: rebuild after one change p50 / p99 (ms)', ...steps.map((s) => `${median(s.tableOne).toFixed(2)} / ${pct(s.tableOne, 0.99).toFixed(2)}`)],
    ['route convergence under redeploys p50 / p99 (ms)', ...steps.map((s) => `${median(s.converge).toFixed(0)} / ${pct(s.converge, 0.99).toFixed(0)}`)],
    ['restarted ybd adopts every process (s)', ...steps.map((s) => (s.adoptMs === undefined ? '—' : (s.adoptMs / 1000).toFixed(2)))],
    ['… processes adopted / restarted', ...steps.map((s) => (s.adoptMs === undefined ? '—' : `${s.adopted} / ${s.restarted}`))],
    ['memory per app process: cgroup / its shim PSS (MiB)', ...steps.map((s) => `${mib(s.appMem.cgroup)} / ${mib(s.appMem.shim)}`)],
    [
      'host memory per app: drop of MemAvailable ÷ apps (MiB; other work on the host moves it)',
      ...steps.map((s) => mib((available0 - s.memAvailable) / s.apps)),
    ],
    ['reference: plain `docker run`: cgroup / its shim PSS (MiB)', ...steps.map(() => `${mib(refMem.cgroup)} / ${mib(refMem.shim)}`)],
  ];
  console.log(`\n| what | ${cols.join(' | ')} |\n|---|${cols.map(() => '---:').join('|')}|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  if (steps.length === 2) {
    const [a, b] = steps as [Step, Step];
    const per = (f: (s: Step) => number, unit: string, scale = 1) =>
      `${((f(a) / a.apps) * scale).toFixed(2)} → marginal ${(((f(b) - f(a)) / (b.apps - a.apps)) * scale).toFixed(2)} ${unit}`;
    console.log(`\nPer app, at ${a.apps} apps → between ${a.apps} and ${b.apps} (a marginal cost above the first says it grows faster than linearly):`);
    console.log(`- ybd RSS: ${per((s) => s.idle.ybd.rss / 1024, 'KiB')}`);
    console.log(`- ybd CPU at idle: ${per((s) => s.idle.ybd.cpu, '‰ of a core', 10)}`);
    console.log(`- etcd db in use: ${per((s) => s.etcd.inUse / 1024, 'KiB')}`);
    console.log(`- GET /apps p50: ${per((s) => median(s.getApps) * 1000, 'µs')}`);
    console.log(`- adoption at restart: ${per((s) => s.adoptMs ?? NaN, 'ms')}`);
  }
  console.log(
    `(load average now: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(', ')})`,
  );
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => cleanup());
