// bench/deploys: push-to-serving and rollout times through the real platform under steady load through the
// router, with the failed-request count; reference in the same run: plain `docker run` of the same image until it
// answers (the floor any deploy of that image pays). Two apps of the node-zero fixture: one with the default health
// check (a listening port, then YB_HEALTH_UPTIME=1 s up), one with a configured app.json health check (no uptime
// wait, docs/architecture.md §5). Prints a table, and the median of each recorded phase (docs/architecture.md §4.2).
// Not a test: nothing is asserted.
// Run: node --import tsx bench/deploys/run.ts [rounds=3] [--registry] [--kubernetes]
// --registry: the same pushes again, in the same run, on a platform with YB_REGISTRY_PUSH=true (embedded registry).
// --kubernetes: the same pushes again, in the same run, on YB_RUNTIME=kubernetes against the test cluster of
// scripts/k8s-up.sh (its settings from /var/lib/yunbang-k8s/env; run `bash scripts/k8s-up.sh` first).
import { execFile } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startPlatform, fixtureRepo, git, commitAll, httpGet, type Platform } from '../../test/helpers/platform.js';
import { startLoad } from '../../test/helpers/load.js';
import { freePort } from '../../test/helpers/ports.js';
import { loadavg } from 'node:os';
import { PHASES } from '../../src/shared/phases.js';
import { median } from '../stats.js';

const run = promisify(execFile);
const args = process.argv.slice(2);
const withRegistry = args.includes('--registry');
const withKubernetes = args.includes('--kubernetes');
const rounds = Number(args.find((a) => /^\d+$/.test(a)) ?? 3);
const secs = (ms: number) => (ms / 1000).toFixed(2);

async function waitFor(probe: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

type Phases = Record<string, number>;

/** Reference: the last run image started with plain `docker run` until it answers. */
async function referenceRuns(p: Platform): Promise<number[]> {
  const rel = JSON.parse((await p.yb(['releases:info', '-a', 'bench', '--json'])).stdout) as { imageId: string };
  const plain: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const port = await freePort();
    const t = Date.now();
    const { stdout } = await run('docker', [
      'run',
      '-d',
      '--rm',
      '--label',
      `yunbang.instance=${p.instance}`,
      '-e',
      'PORT=5000',
      '-p',
      `127.0.0.1:${port}:5000`,
      rel.imageId,
      '/usr/local/bin/yb-launch',
      'node server.js',
    ]);
    await waitFor(async () => (await httpGet(port, 'x')).status === 200);
    plain.push(Date.now() - t);
    await run('docker', ['rm', '-f', stdout.trim()]);
  }
  return plain;
}

interface AppRun {
  coldMs: number;
  warm: number[];
  config: number[];
  requests: number;
  failures: number;
  samples: string[];
  warmPhases: Phases[];
  configPhases: Phases[];
}

/** Cold push of `app`, then `rounds` warm pushes and config changes under load through the router. */
async function appRounds(p: Platform, app: string, checked: boolean): Promise<AppRun> {
  const repo = await fixtureRepo('node-zero', p.dataDir);
  if (checked) {
    writeFileSync(join(repo, 'app.json'), JSON.stringify({ healthchecks: { web: [{ type: 'startup', path: '/', content: 'ok' }] } }));
    await commitAll(repo, 'health check');
  }
  const url = `http://yb:${p.token}@${new URL(p.apiUrl).host}/git/${app}.git`;
  await p.yb(['apps:create', app]);
  const host = `${app}.localhost`;
  let t = Date.now();
  const cold = await git(repo, ['push', url, 'main']);
  if (cold.code !== 0) throw new Error(cold.output);
  await waitFor(async () => (await p.fetchApp(host)).status === 200);
  const coldMs = Date.now() - t;
  const load = startLoad(p.routerPort, host, { keepAlive: 4, fresh: 2, maxSeconds: 900 });
  const r: Omit<AppRun, 'requests' | 'failures' | 'samples'> = { coldMs, warm: [], config: [], warmPhases: [], configPhases: [] };
  for (let i = 1; i <= rounds; i++) {
    appendFileSync(join(repo, 'server.js'), `\n// round ${i}\n`);
    await commitAll(repo, `round ${i}`);
    t = Date.now();
    const push = await git(repo, ['push', url, 'main']);
    if (push.code !== 0) throw new Error(push.output);
    const version = /v(\d+) is live/.exec(push.output)?.[1];
    await waitFor(async () => (await p.fetchApp(host)).body.startsWith(`ok v${version}`));
    r.warm.push(Date.now() - t);
    r.warmPhases.push((JSON.parse((await p.yb(['builds:info', '-a', app, '--json'])).stdout) as { phases?: Phases }).phases ?? {});
    t = Date.now();
    await p.yb(['config:set', `ROUND=${i}`, '-a', app]);
    r.config.push(Date.now() - t);
    r.configPhases.push((JSON.parse((await p.yb(['releases:info', '-a', app, '--json'])).stdout) as { phases?: Phases }).phases ?? {});
  }
  const l = await load.stop();
  return { ...r, requests: l.requests, failures: l.failures, samples: l.samples };
}

/** On a platform with `env`: the app with the default health check, then the one with a configured check. */
async function pushes(
  env: Record<string, string>,
  reference?: (p: Platform) => Promise<number[]>,
): Promise<{ plain?: number[]; def: AppRun; checked: AppRun }> {
  const p = await startPlatform({ YB_HEALTH_UPTIME: '1', ...env });
  try {
    const def = await appRounds(p, 'bench', false);
    const checked = await appRounds(p, 'checked', true);
    return { def, checked, plain: await reference?.(p) };
  } finally {
    await p.stop();
  }
}

/** The median of each phase over the runs that recorded it. */
function phaseMedians(list: Phases[]): Map<string, number> {
  const names = [...new Set(list.flatMap((ph) => Object.keys(ph)))];
  return new Map(names.map((n) => [n, median(list.map((ph) => ph[n]).filter((v): v is number => typeof v === 'number'))]));
}

/** YB_KUBECONFIG and YB_REGISTRY_URL of the test cluster (scripts/k8s-up.sh writes them). */
function clusterSettings(): Record<string, string> {
  const text = readFileSync('/var/lib/yunbang-k8s/env', 'utf8');
  return Object.fromEntries([...text.matchAll(/^(YB_KUBECONFIG|YB_REGISTRY_URL)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
}

async function main(): Promise<void> {
  const registryPort = withRegistry ? await freePort() : 0;
  const r = await pushes({}, referenceRuns);
  const plain = r.plain!;
  const ratio = (ms: number) => `${(ms / median(plain)).toFixed(1)}×`;
  const rowsOf = (label: string, x: { def: AppRun; checked: AppRun }) => [
    [`${label}cold push → serving (Node.js, first build)`, secs(x.def.coldMs), '—'],
    [`${label}warm push → serving, default check (median of ${rounds})`, secs(median(x.def.warm)), ratio(median(x.def.warm))],
    [`${label}warm push → serving, configured check (median of ${rounds})`, secs(median(x.checked.warm)), ratio(median(x.checked.warm))],
    [`${label}config change → serving, default check (median of ${rounds})`, secs(median(x.def.config)), ratio(median(x.def.config))],
    [`${label}config change → serving, configured check (median of ${rounds})`, secs(median(x.checked.config)), ratio(median(x.checked.config))],
  ];
  const rows = [...rowsOf('', r), [`reference: plain docker run → first answer (median of ${rounds})`, secs(median(plain)), '1.0×']];
  // Same run, a second platform: every build also pushed to the embedded registry (YB_REGISTRY_PUSH).
  const pushed = withRegistry ? await pushes({ YB_REGISTRY_PUSH: 'true', YB_REGISTRY_ADDR: `127.0.0.1:${registryPort}` }) : null;
  if (pushed) rows.push(...rowsOf('registry push on: ', pushed));
  // Same run, a third platform: apps run on the Kubernetes test cluster (builds stay on this engine).
  const kube = withKubernetes ? await pushes({ YB_RUNTIME: 'kubernetes', ...clusterSettings() }) : null;
  if (kube) rows.push(...rowsOf('kubernetes: ', kube));
  console.log('\n| what | seconds | ÷ plain docker run |\n|---|---:|---:|');
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
  // Where the time went: the median of each phase of the build and release records.
  const cols: Array<[string, Phases[]]> = [
    ['warm push, default check', r.def.warmPhases],
    ['warm push, configured check', r.checked.warmPhases],
    ['config change, default check', r.def.configPhases],
    ['config change, configured check', r.checked.configPhases],
  ];
  const medians = cols.map(([, list]) => phaseMedians(list));
  const names = PHASES.filter((n) => medians.some((m) => m.has(n)));
  console.log(`\n| phase (median ms) | ${cols.map(([c]) => c).join(' | ')} |\n|---|${cols.map(() => '---:').join('|')}|`);
  for (const n of names) console.log(`| ${n} | ${medians.map((m) => (m.has(n) ? String(m.get(n)) : '—')).join(' | ')} |`);
  const total = (x: { def: AppRun; checked: AppRun }) => ({
    requests: x.def.requests + x.checked.requests,
    failures: x.def.failures + x.checked.failures,
    samples: [...x.def.samples, ...x.checked.samples],
  });
  const t = total(r);
  console.log(`\nUnder load during ${rounds} pushes and ${rounds} config changes of each app: ${t.requests} requests, ${t.failures} failed or 5xx.`);
  if (t.failures) console.log(`samples: ${t.samples.join(' | ')}`);
  if (pushed) console.log(`With registry push on: ${total(pushed).requests} requests, ${total(pushed).failures} failed or 5xx.`);
  if (kube) {
    const k = total(kube);
    console.log(`On Kubernetes: ${k.requests} requests, ${k.failures} failed or 5xx.${k.failures ? ` samples: ${k.samples.join(' | ')}` : ''}`);
  }
  console.log(
    `Load average: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
