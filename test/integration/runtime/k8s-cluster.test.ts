// The Kubernetes test cluster itself (scripts/k8s-up.sh, docs/architecture.md §6.3), against the real thing: two Ready
// nodes, an image pushed to the cluster registry and run by digest on both, pod IPs reachable from the host and across
// nodes, NetworkPolicy enforced between namespaces (a tenant's pod cannot reach another tenant's), and a drain that moves
// pods off node 2. Everything the test makes (namespaces, the image, its tag) is removed at the end.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { until } from '../../helpers/until.js';

const run = promisify(execFile);
const root = new URL('../../../', import.meta.url).pathname;
const id = `${process.env.YB_TEST_RUN_ID ?? 't'}${Math.random().toString(36).slice(2, 6)}`.toLowerCase().replace(/[^a-z0-9]/g, '');
const nsA = `yb-k8s-${id}-a`;
const nsB = `yb-k8s-${id}-b`;
const NODE1 = 'yb-k8s-1';
const NODE2 = 'yb-k8s-2';
let kubectlBin = '';
let kubeconfig = '';
let registry = ''; // host:port
let image = ''; // repository@sha256:…
let localTag = '';

interface PodView {
  metadata: { name: string };
  spec: { nodeName?: string };
  status: { podIP?: string; phase?: string; conditions?: { type: string; status: string }[]; containerStatuses?: { imageID: string }[] };
}

async function kubectl(args: string[], input?: string): Promise<string> {
  const child = run(kubectlBin, args, { env: { ...process.env, KUBECONFIG: kubeconfig }, maxBuffer: 16 << 20 });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  return (await child).stdout;
}
const apply = (manifest: object) => kubectl(['apply', '-f', '-'], JSON.stringify(manifest));

async function readyPods(ns: string): Promise<(PodView & { status: { podIP: string }; spec: { nodeName: string } })[]> {
  const list = JSON.parse(await kubectl(['-n', ns, 'get', 'pods', '-l', 'app=echo', '-o', 'json'])) as { items: PodView[] };
  return list.items.filter(
    (p): p is PodView & { status: { podIP: string }; spec: { nodeName: string } } =>
      !!p.status.podIP && !!p.spec.nodeName && !!p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  );
}
/** One ready echo pod on each node, keyed by node name. */
async function spread(ns: string) {
  return until(
    `one ready echo pod per node in ${ns}`,
    async () => {
      const pods = await readyPods(ns);
      const byNode = new Map(pods.map((p) => [p.spec.nodeName, p]));
      return pods.length === 2 && byNode.size === 2 ? byNode : undefined;
    },
    120_000,
  );
}
/** GET / of the echo server at ip from inside pod (ns/name): its body, or the failure's message. */
async function fromPod(ns: string, pod: string, ip: string, port = '8080', path = '/'): Promise<{ ok: boolean; text: string }> {
  try {
    return { ok: true, text: await kubectl(['-n', ns, 'exec', pod, '--', '/echo', 'get', ip, port, path]) };
  } catch (error) {
    return { ok: false, text: String((error as { stderr?: string }).stderr ?? error) };
  }
}
async function fromHost(ip: string): Promise<string | undefined> {
  try {
    const res = await fetch(`http://${ip}:8080/`, { signal: AbortSignal.timeout(3000) });
    return res.ok ? await res.text() : undefined;
  } catch {
    return undefined; // refused, reset or timed out: the caller asserts on the absence of an answer
  }
}

function echoDeployment(ns: string) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'echo', namespace: ns },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'echo' } },
      template: {
        metadata: { labels: { app: 'echo' } },
        spec: {
          terminationGracePeriodSeconds: 1,
          // One replica per node while both are schedulable; a cordoned node (tainted) stops counting, so a drain can
          // move its replica to the other node.
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: 'kubernetes.io/hostname',
              whenUnsatisfiable: 'DoNotSchedule',
              nodeTaintsPolicy: 'Honor',
              labelSelector: { matchLabels: { app: 'echo' } },
            },
          ],
          containers: [
            { name: 'echo', image, args: ['serve', '8080'], ports: [{ containerPort: 8080 }], readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } },
          ],
        },
      },
    },
  };
}

before(async () => {
  const up = await run('bash', [join(root, 'scripts/k8s-up.sh')], { maxBuffer: 16 << 20 });
  const env = Object.fromEntries(
    (await readFile('/var/lib/yunbang-k8s/env', 'utf8'))
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => l.split('=', 2) as [string, string]),
  );
  assert.ok(up.stdout.includes(`YB_KUBECONFIG=${env.YB_KUBECONFIG}`), 'k8s-up.sh prints the settings it wrote');
  kubeconfig = env.YB_KUBECONFIG ?? '';
  registry = new URL(env.YB_REGISTRY_URL ?? '').host;
  kubectlBin = join((await run('bash', [join(root, 'scripts/k8s/build.sh')])).stdout.trim().split('\n').at(-1) ?? '', 'kubectl');

  // The echo image: a static binary in a FROM-scratch image, pushed by the Docker engine to the cluster registry.
  const dir = await mkdtemp(join(tmpdir(), 'yb-k8s-echo-'));
  try {
    await run('gcc', ['-static', '-Os', '-o', join(dir, 'echo'), join(root, 'test/fixtures/k8s-echo/echo.c')]);
    await writeFile(join(dir, 'Dockerfile'), 'FROM scratch\nCOPY echo /echo\nENTRYPOINT ["/echo"]\n');
    localTag = `${registry}/yb-test-${id}/echo:1`;
    await run('docker', ['build', '-q', '-t', localTag, dir]);
    await run('docker', ['push', localTag]);
    image = (await run('docker', ['inspect', '--format', '{{index .RepoDigests 0}}', localTag])).stdout.trim();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  assert.match(image, new RegExp(`^${registry.replace(/\./g, '\\.')}/yb-test-${id}/echo@sha256:[0-9a-f]{64}$`));
  for (const ns of [nsA, nsB]) await kubectl(['create', 'namespace', ns]);
});

after(async () => {
  if (!kubectlBin) return;
  await kubectl(['uncordon', NODE2]).catch(() => undefined);
  await kubectl(['delete', 'namespace', nsA, nsB, '--ignore-not-found', '--wait=true', '--timeout=120s']);
  if (localTag) {
    const digest = image.split('@')[1];
    await run('docker', ['rmi', localTag]);
    // The registry keeps what the test pushed unless told: delete its manifest (the registry allows deletes).
    if (digest) await fetch(`http://${registry}/v2/yb-test-${id}/echo/manifests/${digest}`, { method: 'DELETE' });
  }
});

test('the cluster has two Ready nodes', async () => {
  const nodes = JSON.parse(await kubectl(['get', 'nodes', '-o', 'json'])) as {
    items: { metadata: { name: string }; status: { conditions: { type: string; status: string }[] } }[];
  };
  const ready = nodes.items.filter((n) => n.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True')).map((n) => n.metadata.name);
  assert.deepEqual(ready.sort(), [NODE1, NODE2]);
});

test('a Deployment spread over both nodes runs the registry image by digest; the host and the other node reach its pods', async () => {
  await apply(echoDeployment(nsA));
  const pods = await spread(nsA);
  const [p1, p2] = [pods.get(NODE1), pods.get(NODE2)];
  assert.ok(p1 && p2, 'one replica on each node');
  for (const pod of [p1, p2]) {
    const status = JSON.parse(await kubectl(['-n', nsA, 'get', 'pod', pod.metadata.name, '-o', 'json'])) as PodView;
    assert.equal(status.status.containerStatuses?.[0]?.imageID, image, `${pod.metadata.name} runs the pushed image by digest`);
    // The host (where the platform's router runs) reaches each pod by its IP, on either node.
    assert.equal(await fromHost(pod.status.podIP), `yb-k8s-echo ${pod.metadata.name}\n`);
  }
  assert.deepEqual(await fromPod(nsA, p1.metadata.name, p2.status.podIP), { ok: true, text: `yb-k8s-echo ${p2.metadata.name}\n` }, 'node 1 → node 2');
  assert.deepEqual(await fromPod(nsA, p2.metadata.name, p1.status.podIP), { ok: true, text: `yb-k8s-echo ${p1.metadata.name}\n` }, 'node 2 → node 1');
});

test('NetworkPolicy: a pod of namespace A cannot reach a pod of namespace B; A reaches A and the host reaches both', async () => {
  await apply(echoDeployment(nsB));
  const [a, b] = [await spread(nsA), await spread(nsB)];
  const a1 = a.get(NODE1)!;
  const a2 = a.get(NODE2)!;
  // Open before any policy: the attack below fails because of the policy, not because the network is broken.
  for (const target of b.values()) assert.equal((await fromPod(nsA, a1.metadata.name, target.status.podIP)).ok, true, 'no policy yet: A reaches B');

  // Ingress from the namespace's own pods and from the nodes (the router runs on the host: for pods on other nodes its
  // packets come from its node's address, which only an ipBlock admits).
  const nodes = JSON.parse(await kubectl(['get', 'nodes', '-o', 'json'])) as { items: { status: { addresses: { type: string; address: string }[] } }[] };
  const nodeIPs = nodes.items.flatMap((n) => n.status.addresses.filter((x) => x.type === 'InternalIP').map((x) => x.address));
  assert.equal(nodeIPs.length, 2);
  for (const ns of [nsA, nsB]) {
    await apply({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'same-namespace', namespace: ns },
      spec: {
        podSelector: {},
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ podSelector: {} }, ...nodeIPs.map((ip) => ({ ipBlock: { cidr: `${ip}/32` } }))] }],
      },
    });
  }
  // The attack, on the same node and across nodes: refused once the enforcer has applied the policies.
  for (const target of b.values()) {
    const denied = await until(
      `A's pod denied ${target.status.podIP} (B on ${target.spec.nodeName})`,
      async () => {
        const r = await fromPod(nsA, a1.metadata.name, target.status.podIP);
        return r.ok ? undefined : r;
      },
      30_000,
    );
    assert.match(denied.text, /connect .*(refused|timed out)/i);
  }
  for (const target of a.values()) {
    assert.equal((await fromPod(nsB, b.get(NODE2)!.metadata.name, target.status.podIP)).ok, false, 'B cannot reach A either');
  }
  assert.equal((await fromPod(nsA, a1.metadata.name, a2.status.podIP)).ok, true, 'A reaches A across nodes');
  assert.equal((await fromPod(nsA, a2.metadata.name, a1.status.podIP)).ok, true, 'A reaches A across nodes (back)');
  for (const pod of [...a.values(), ...b.values()]) {
    assert.equal(await fromHost(pod.status.podIP), `yb-k8s-echo ${pod.metadata.name}\n`, `the host reaches ${pod.metadata.name} on ${pod.spec.nodeName}`);
  }
});

test("a tenant's pod cannot reach the cluster registry (only the nodes' containerd can), on either node", async () => {
  const pods = await spread(nsA);
  const [host, port] = registry.split(':') as [string, string];
  assert.equal(host, '127.0.0.1', 'the registry listens on the host loopback only');
  // Node 2's containerd pulls through the host's DNAT of 10.212.0.1:<port>; a pod must not ride it to the registry,
  // where it could read every team's images or delete them.
  const nodeIP = JSON.parse(await kubectl(['get', 'node', NODE1, '-o', 'json'])) as { status: { addresses: { type: string; address: string }[] } };
  const hostIP = nodeIP.status.addresses.find((a) => a.type === 'InternalIP')?.address ?? '';
  for (const pod of pods.values()) {
    for (const target of [hostIP, host]) {
      const r = await fromPod(nsA, pod.metadata.name, target, port, '/v2/_catalog');
      assert.equal(r.ok, false, `${pod.metadata.name} on ${pod.spec.nodeName} reached the registry at ${target}:${port}: ${r.text}`);
    }
  }
});

test('kubectl drain of node 2 moves its pod to node 1; uncordon makes it schedulable again', async () => {
  const before = await spread(nsA);
  const moved = before.get(NODE2)!.metadata.name;
  try {
    await kubectl(['drain', NODE2, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=120s']);
    const pods = await until(
      'both echo replicas ready on node 1',
      async () => {
        const ready = await readyPods(nsA);
        return ready.length === 2 && ready.every((p) => p.spec.nodeName === NODE1 && p.metadata.name !== moved) ? ready : undefined;
      },
      120_000,
    );
    for (const pod of pods) assert.equal(await fromHost(pod.status.podIP), `yb-k8s-echo ${pod.metadata.name}\n`);
  } finally {
    await kubectl(['uncordon', NODE2]);
  }
  const node = JSON.parse(await kubectl(['get', 'node', NODE2, '-o', 'json'])) as { spec: { unschedulable?: boolean } };
  assert.notEqual(node.spec.unschedulable, true);
});
