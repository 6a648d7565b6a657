// bench/deploys: push-to-serving and rollout times through the real platform under steady load through the
// router, with the failed-request count; reference in the same run: plain `docker run` of the same image until it
// answers (the floor any deploy of that image pays). Prints a table. Not a test: nothing is asserted.
// Run: node --import tsx bench/deploys/run.ts [rounds=3] [--registry] [--kubernetes]
// --registry: the same pushes again, in the same run, on a platform with YB_REGISTRY_PUSH=true (embedded registry).
// --kubernetes: the same pushes again, in the same run, on YB_RUNTIME=kubernetes against the test cluster of
// scripts/k8s-up.sh (its settings from /var/lib/yunbang-k8s/env; run `bash scripts/k8s-up.sh` first).
import { execFile } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startPlatform, fixtureRepo, git, commitAll, httpGet, type Platform } from '../../test/helpers/platform.js';
import { startLoad } from '../../test/helpers/load.js';
import { freePort } from '../../test/helpers/ports.js';

const run = promisify(execFile);
const args = process.argv.slice(2);
const withRegistry = args.includes('--registry');
const withKubernetes = args.includes('--kubernetes');
const rounds = Number(args.find((a) => /^\d+$/.test(a)) ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const secs = (ms: number) => (ms / 1000).toFixed(2);

async function waitFor(probe: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

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

/** Cold push, then `rounds` warm pushes and config changes under load, on a platform with `env`. */
async function pushes(
  env: Record<string, string>,
  reference?: (p: Platform) => Promise<number[]>,
): Promise<{ coldMs: number; warm: number[]; config: number[]; requests: number; failures: number; samples: string[]; plain?: number[] }> {
  const p = await startPlatform({ YB_HEALTH_UPTIME: '1', ...env });
  try {
    const repo = await fixtureRepo('node-zero', p.dataDir);
    const url = `http://yb:${p.token}@${new URL(p.apiUrl).host}/git/bench.git`;
    await p.yb(['apps:create', 'bench']);
    const host = 'bench.localhost';
    let t = Date.now();
    const cold = await git(repo, ['push', url, 'main']);
    if (cold.code !== 0) throw new Error(cold.output);
    await waitFor(async () => (await p.fetchApp(host)).status === 200);
    const coldMs = Date.now() - t;
    const load = startLoad(p.routerPort, host, { keepAlive: 4, fresh: 2, maxSeconds: 900 });
    const warm: number[] = [];
    const config: number[] = [];
    for (let i = 1; i <= rounds; i++) {
      appendFileSync(join(repo, 'server.js'), `\n// round ${i}\n`);
      await commitAll(repo, `round ${i}`);
      t = Date.now();
      const push = await git(repo, ['push', url, 'main']);
      if (push.code !== 0) throw new Error(push.output);
      const version = /v(\d+) is live/.exec(push.output)?.[1];
      await waitFor(async () => (await p.fetchApp(host)).body.startsWith(`ok v${version}`));
      warm.push(Date.now() - t);
      t = Date.now();
      await p.yb(['config:set', `ROUND=${i}`, '-a', 'bench']);
      config.push(Date.now() - t);
    }
    const r = await load.stop();
    return { coldMs, warm, config, requests: r.requests, failures: r.failures, samples: r.samples, plain: await reference?.(p) };
  } finally {
    await p.stop();
  }
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
  const rows = [
    ['cold push → serving (Node.js, first build)', secs(r.coldMs), '—'],
    [`warm push → serving (median of ${rounds})`, secs(median(r.warm)), ratio(median(r.warm))],
    [`config change → serving (median of ${rounds})`, secs(median(r.config)), ratio(median(r.config))],
    [`reference: plain docker run → first answer (median of ${rounds})`, secs(median(plain)), '1.0×'],
  ];
  // Same run, a second platform: every build also pushed to the embedded registry (YB_REGISTRY_PUSH).
  const pushed = withRegistry ? await pushes({ YB_REGISTRY_PUSH: 'true', YB_REGISTRY_ADDR: `127.0.0.1:${registryPort}` }) : null;
  if (pushed) {
    rows.push(
      ['registry push on: cold push → serving', secs(pushed.coldMs), '—'],
      [`registry push on: warm push → serving (median of ${rounds})`, secs(median(pushed.warm)), ratio(median(pushed.warm))],
      [`registry push on: config change → serving (median of ${rounds})`, secs(median(pushed.config)), ratio(median(pushed.config))],
    );
  }
  // Same run, a third platform: apps run on the Kubernetes test cluster (builds stay on this engine).
  const kube = withKubernetes ? await pushes({ YB_RUNTIME: 'kubernetes', ...clusterSettings() }) : null;
  if (kube) {
    rows.push(
      ['kubernetes: cold push → serving from a pod', secs(kube.coldMs), '—'],
      [`kubernetes: warm push → serving (median of ${rounds})`, secs(median(kube.warm)), ratio(median(kube.warm))],
      [`kubernetes: config change → serving (median of ${rounds})`, secs(median(kube.config)), ratio(median(kube.config))],
    );
  }
  console.log('\n| what | seconds | ÷ plain docker run |\n|---|---:|---:|');
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
  console.log(`\nUnder load during ${rounds} pushes and ${rounds} config changes: ${r.requests} requests, ${r.failures} failed or 5xx.`);
  if (r.failures) console.log(`samples: ${r.samples.join(' | ')}`);
  if (pushed) console.log(`With registry push on: ${pushed.requests} requests, ${pushed.failures} failed or 5xx.`);
  if (kube)
    console.log(`On Kubernetes: ${kube.requests} requests, ${kube.failures} failed or 5xx.${kube.failures ? ` samples: ${kube.samples.join(' | ')}` : ''}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
