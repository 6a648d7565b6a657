// The Kubernetes backend on two nodes (issue #16): an app's web processes spread over both nodes, the router reaches
// pods on the node in the other network namespace, and `kubectl drain` of either node moves the app while it serves
// under load with 0 failed requests. Runs against the test cluster of scripts/k8s-up.sh (scripts/test.sh starts it).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startPlatform, fixtureRepo, git, ROOT, type Platform } from '../../helpers/platform.js';
import { startLoad } from '../../helpers/load.js';
import { until } from '../../helpers/until.js';

const run = promisify(execFile);
let p: Platform;
let kubectlBin = '';
let kubeconfig = '';

async function kubectl(args: string[]): Promise<string> {
  return (await run(kubectlBin, args, { env: { ...process.env, KUBECONFIG: kubeconfig }, maxBuffer: 16 << 20 })).stdout;
}

interface PodView {
  metadata: { name: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status: { phase?: string; podIP?: string };
}

/** The app's web pods that are not stopping, with their nodes. */
async function webPods(): Promise<PodView[]> {
  const list = JSON.parse(await kubectl(['get', 'pods', '-A', '-l', `yunbang.instance=${p.instance},yunbang.app=drain,yunbang.process=web`, '-o', 'json'])) as {
    items: PodView[];
  };
  return list.items.filter((x) => !x.metadata.deletionTimestamp);
}

const NODES = ['yb-k8s-1', 'yb-k8s-2'];

before(async () => {
  const env = Object.fromEntries(
    (await readFile('/var/lib/yunbang-k8s/env', 'utf8'))
      .split('\n')
      .map((l) => /^([A-Z_]+)=(.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1]!, m[2]!]),
  );
  kubeconfig = env.YB_KUBECONFIG ?? '';
  kubectlBin = process.env.YB_TEST_KUBECTL || join((await run('bash', [join(ROOT, 'scripts/k8s/build.sh')])).stdout.trim().split('\n').at(-1) ?? '', 'kubectl');
  p = await startPlatform({ YB_RUNTIME: 'kubernetes', YB_KUBECONFIG: kubeconfig, YB_REGISTRY_URL: env.YB_REGISTRY_URL ?? '' });
});

after(async () => {
  for (const node of NODES) await kubectl(['uncordon', node]).catch(() => undefined);
  await p?.stop();
  if (p) await kubectl(['delete', 'namespace', '-l', `yunbang.instance=${p.instance}`, '--wait=false']).catch(() => undefined);
});

test('web processes spread over both nodes; a drain of either node moves them with 0 failed requests', async (t) => {
  const repo = await fixtureRepo('node-zero', p.dataDir);
  await p.yb(['apps:create', 'drain']);
  const push = await git(repo, ['push', `http://yb:${p.token}@${new URL(p.apiUrl).host}/git/drain.git`, 'main']);
  assert.equal(push.code, 0, push.output);
  await p.yb(['ps:scale', 'web=2', '-a', 'drain']);
  const pods = await webPods();
  assert.equal(pods.length, 2);
  assert.deepEqual(new Set(pods.map((x) => x.spec.nodeName)), new Set(NODES), 'the scheduler put one web process on each node');

  // Usage from the kubelets' summaries: memory and CPU of the app's processes on both nodes.
  const memory = await until(
    'the processes memory in /metrics',
    async () => {
      const text = await (await fetch(`${p.apiUrl}/metrics`, { headers: { authorization: `Bearer ${p.token}` } })).text();
      const m = /^yb_app_memory_bytes\{app="drain",process="web"\} (\d+(?:\.\d+)?(?:e\+\d+)?)$/m.exec(text);
      const n = /^yb_app_processes\{app="drain",process="web"\} (\d+)$/m.exec(text);
      return m && Number(m[1]) > 1e6 && n?.[1] === '2' ? Number(m[1]) : undefined;
    },
    90_000,
  );
  t.diagnostic(`memory of the 2 web processes from the kubelets: ${(memory / 2 ** 20).toFixed(1)} MiB`);

  const load = startLoad(p.routerPort, 'drain.localhost', { keepAlive: 4, fresh: 2, maxSeconds: 300 });
  try {
    for (const node of NODES) {
      const other = NODES.find((n) => n !== node)!;
      await kubectl(['drain', node, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=180s']);
      // Both processes now run on the other node (node 2 sits in its own network namespace): the router reaches them there.
      await until(
        `both web processes running on ${other}`,
        async () => {
          const now = await webPods();
          return now.length === 2 && now.every((x) => x.spec.nodeName === other && x.status.phase === 'Running');
        },
        120_000,
      );
      const ps = await p.yb(['ps', '-a', 'drain']);
      assert.match(ps.stdout, /web\.1\s+up/);
      assert.match(ps.stdout, /web\.2\s+up/);
      await kubectl(['uncordon', node]);
    }
  } finally {
    const r = await load.stop();
    t.diagnostic(`load through the router during both drains: ${r.requests} requests, ${r.failures} failed`);
    assert.ok(r.requests > 100, `load ran (${r.requests} requests)`);
    assert.equal(r.failures, 0, `failed requests during the drains: ${r.samples.join(' | ')}`);
  }
});
