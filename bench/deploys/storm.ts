// bench/deploys/storm: 20 git pushes at once to 20 apps on one platform. Measures that all succeed (each serves its
// own new body through the router), the total and per-push times, and the p50/p99 of `GET /apps` and of a request
// through the router to an untouched app during the storm against the same probes on the idle platform. Reference
// in the same run: the same 20 builds one after the other with plain `docker build` + `docker run` until it answers.
// Not a test: nothing is asserted. Run: flock /tmp/yb-bench.lock node --import tsx bench/deploys/storm.ts [apps=20] [--slots=N]
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startPlatform, fixtureRepo, git, commitAll, httpGet, type Platform } from '../../test/helpers/platform.js';
import { freePort } from '../../test/helpers/ports.js';
import { PHASES } from '../../src/shared/phases.js';
import { pct } from '../stats.js';
import { cpuSeconds, USER_HZ } from '../proc.js';

const run = promisify(execFile);
const args = process.argv.slice(2);
const apps = Number(args.find((a) => /^\d+$/.test(a)) ?? 20);
const slots = args.find((a) => a.startsWith('--slots='))?.slice('--slots='.length);
const secs = (ms: number) => (ms / 1000).toFixed(2);
const ms = (x: number) => x.toFixed(1);

async function waitFor(probe: () => Promise<boolean>, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Probes GET /apps and the untouched app through the router, one request at a time each, until stopped. */
function startProbes(p: Platform, host: string) {
  const api: number[] = [];
  const router: number[] = [];
  let failures = 0;
  let stopped = false;
  const loop = async (into: number[], once: () => Promise<boolean>) => {
    while (!stopped) {
      const t = performance.now();
      const ok = await once().catch(() => false);
      if (ok) into.push(performance.now() - t);
      else failures++;
    }
  };
  const done = Promise.all([
    loop(api, async () => {
      const res = await fetch(`${p.apiUrl}/apps`, { headers: { authorization: `Bearer ${p.token}` } });
      await res.arrayBuffer();
      return res.ok;
    }),
    loop(router, async () => (await httpGet(p.routerPort, host)).status === 200),
  ]);
  return {
    async stop() {
      stopped = true;
      await done;
      return { api, router, failures };
    },
  };
}

/** The repository of app `i`: the Dockerfile fixture with a body of its own, so no build is a no-op. */
async function appRepo(p: Platform, i: number): Promise<{ dir: string; body: string }> {
  const dir = await fixtureRepo('dockerfile-hello', p.dataDir);
  const body = `storm app ${i} ${Date.now()}`;
  writeFileSync(join(dir, 'public', 'index.html'), body);
  await commitAll(dir, `storm ${i}`);
  return { dir, body };
}

/** Reference: the same sources built and started one after the other with plain docker; ms per app. */
async function reference(p: Platform, repos: Array<{ dir: string; body: string }>): Promise<number[]> {
  const times: number[] = [];
  for (const [i, r] of repos.entries()) {
    const tag = `yb-storm-ref-${p.instance}:${i}`;
    const port = await freePort();
    const t = Date.now();
    // The engine's BuildKit through its API, as the platform builds (the docker CLI here has no buildx).
    const query = new URLSearchParams({ version: '2', t: tag, labels: JSON.stringify({ 'yunbang.instance': p.instance }) });
    await run('sh', [
      '-c',
      `tar -C "$1" -c --exclude=.git . | curl -sSf --unix-socket /var/run/docker.sock -X POST -H 'Content-Type: application/x-tar' -T - "http://localhost/build?$2" | grep -q moby.image.id`,
      'sh',
      r.dir,
      query.toString(),
    ]);
    const { stdout } = await run('docker', ['run', '-d', '--rm', '--label', `yunbang.instance=${p.instance}`, '-p', `127.0.0.1:${port}:8000`, tag]);
    await waitFor(async () => (await httpGet(port, 'x')).body === r.body);
    times.push(Date.now() - t);
    await run('docker', ['rm', '-f', stdout.trim()]);
    await run('docker', ['rmi', '-f', tag]);
  }
  return times;
}

/** The Docker engine's processes, by command name. */
const ENGINE = new Set(['dockerd', 'containerd', 'containerd-shim', 'containerd-shim-runc-v2', 'runc']);

/** CPU seconds so far: the whole machine, ybd with its reaped children (git), the Docker engine and containerd, containers. */
function cpuNow(ybdPid: number): Record<'machine' | 'ybd' | 'engine' | 'containers', number> {
  const total = (c: { user: number; system: number }) => c.user + c.system;
  let engine = 0; // one pass over /proc
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let comm: string;
    try {
      comm = readFileSync(`/proc/${d}/comm`, 'utf8').trim();
    } catch {
      continue; // gone
    }
    if (ENGINE.has(comm)) engine += total(cpuSeconds(Number(d)));
  }
  const cpuLine = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number);
  const idle = (cpuLine[3] ?? 0) + (cpuLine[4] ?? 0);
  const containers = ['/sys/fs/cgroup/cpuacct/docker/cpuacct.usage', '/sys/fs/cgroup/docker/cpu.stat']
    .filter((f) => existsSync(f))
    .map((f) => readFileSync(f, 'utf8'))
    .map((t) => (t.startsWith('usage_usec') ? Number(/usage_usec (\d+)/.exec(t)?.[1]) / 1e6 : Number(t) / 1e9))[0];
  return {
    machine: (cpuLine.reduce((a, b) => a + b, 0) - idle) / USER_HZ,
    ybd: total(cpuSeconds(ybdPid, true)),
    engine,
    containers: containers ?? NaN,
  };
}

/** Median and max of each phase (shared/phases.ts) over the apps' last pushes. */
async function phaseSummary(p: Platform, names: string[]): Promise<string[][]> {
  const all = await Promise.all(
    names.map(async (n) => {
      // A push's phases: the build's (queue … push) and its release's rollout (release … stop).
      const last = async (what: string) => {
        const res = await fetch(`${p.apiUrl}/apps/${n}/${what}`, { headers: { authorization: `Bearer ${p.token}` } });
        const list = (await res.json()) as Array<{ phases?: Record<string, number> }>;
        return list.at(-1)?.phases ?? {};
      };
      return { ...(await last('releases')), ...(await last('builds')) };
    }),
  );
  return PHASES.filter((ph) => all.some((x) => typeof x[ph] === 'number')).map((ph) => {
    const xs = all.map((x) => x[ph] ?? 0);
    return [`  phase ${ph}: p50 / max (s)`, `${secs(pct(xs, 0.5))} / ${secs(Math.max(...xs))}`, ''];
  });
}

async function main(): Promise<void> {
  const p = await startPlatform({ YB_HEALTH_UPTIME: '1', ...(slots ? { YB_BUILD_CONCURRENCY: slots } : {}) });
  try {
    const url = (app: string) => `http://yb:${p.token}@${new URL(p.apiUrl).host}/git/${app}.git`;
    // The untouched app, deployed before the storm; its answers through the router are probed during it.
    await p.yb(['apps:create', 'calm']);
    const calm = await fixtureRepo('dockerfile-hello', p.dataDir);
    const first = await git(calm, ['push', url('calm'), 'main']);
    if (first.code !== 0) throw new Error(first.output);
    await waitFor(async () => (await p.fetchApp('calm.localhost')).status === 200);
    const names = Array.from({ length: apps }, (_, i) => `storm${i}`);
    for (const n of names) await p.yb(['apps:create', n]);
    const repos = await Promise.all(names.map((_, i) => appRepo(p, i)));

    const idle = startProbes(p, 'calm.localhost');
    await new Promise((r) => setTimeout(r, 10_000)); // a fixed idle window to sample, not a synchronisation
    const idleRes = await idle.stop();

    const probes = startProbes(p, 'calm.localhost');
    const cpu0 = cpuNow(p.child.pid!);
    const t0 = Date.now();
    const pushes = await Promise.all(
      names.map(async (n, i) => {
        const t = Date.now();
        const r = await git(repos[i]!.dir, ['push', url(n), 'main']);
        const pushMs = Date.now() - t;
        const queued = /Queued behind (\d+) build/.exec(r.output)?.[1];
        return { n, code: r.code, output: r.output, pushMs, queuedBehind: queued ? Number(queued) : 0 };
      }),
    );
    const total = Date.now() - t0;
    const cpu1 = cpuNow(p.child.pid!);
    const storm = await probes.stop();
    const serving = await Promise.all(names.map(async (n, i) => (await p.fetchApp(`${n}.localhost`)).body === repos[i]!.body));
    const failed = pushes.filter((x) => x.code !== 0);
    for (const f of failed) console.error(`push to ${f.n} failed:\n${f.output}`);
    const load = loadavg();

    console.log(`storm: ${pushes.length - failed.length}/${apps} pushes succeeded in ${secs(total)} s (table below, after the reference)`);
    const ref = await reference(p, repos);
    const refTotal = ref.reduce((a, b) => a + b, 0);
    const per = pushes.map((x) => x.pushMs);
    const rows: string[][] = [
      [`${apps} pushes at once: succeeded, serving their own body`, `${pushes.length - failed.length}/${apps}, ${serving.filter(Boolean).length}/${apps}`, ''],
      ['total wall time of the storm (s)', secs(total), `${(total / refTotal).toFixed(2)}× ref`],
      ['per push p50 / p99 / max (s)', `${secs(pct(per, 0.5))} / ${secs(pct(per, 0.99))} / ${secs(Math.max(...per))}`, ''],
      ['most builds a push was queued behind', String(Math.max(...pushes.map((x) => x.queuedBehind))), ''],
      [
        'GET /apps p50 / p99 (ms): idle → storm',
        `${ms(pct(idleRes.api, 0.5))} / ${ms(pct(idleRes.api, 0.99))} → ${ms(pct(storm.api, 0.5))} / ${ms(pct(storm.api, 0.99))}`,
        `p99 ${(pct(storm.api, 0.99) / pct(idleRes.api, 0.99)).toFixed(1)}×`,
      ],
      [
        'untouched app via router p50 / p99 (ms): idle → storm',
        `${ms(pct(idleRes.router, 0.5))} / ${ms(pct(idleRes.router, 0.99))} → ${ms(pct(storm.router, 0.5))} / ${ms(pct(storm.router, 0.99))}`,
        `p99 ${(pct(storm.router, 0.99) / pct(idleRes.router, 0.99)).toFixed(1)}×`,
      ],
      ...(await phaseSummary(p, names)),
      [
        'CPU during the storm, cores: machine / ybd (and git) / engine (dockerd, containerd, shims) / containers',
        (['machine', 'ybd', 'engine', 'containers'] as const).map((k) => ((cpu1[k] - cpu0[k]) / (total / 1000)).toFixed(2)).join(' / '),
        '',
      ],
      ['probe requests during the storm (API, router), failed', `${storm.api.length}, ${storm.router.length}, ${storm.failures}`, ''],
      [`reference: ${apps} × plain docker build + run until it answers, serially (s)`, secs(refTotal), '1.00× ref'],
      ['reference per app p50 (s)', secs(pct(ref, 0.5)), ''],
    ];
    const w0 = Math.max(...rows.map((r) => r[0]!.length));
    const w1 = Math.max(...rows.map((r) => r[1]!.length));
    console.log(
      `\nbench/deploys/storm: ${apps} apps, build slots ${slots ?? 'default (cores)'}; load average during the storm ${load.map((x) => x.toFixed(2)).join(' ')}\n`,
    );
    for (const r of rows) console.log(`${r[0]!.padEnd(w0)}  ${r[1]!.padStart(w1)}  ${r[2]}`);
  } finally {
    await p.stop();
  }
}

await main();
