// The test cluster's NetworkPolicy enforcer, one process per node (docs/architecture.md §6.3): polls the API server for
// pods, namespaces and NetworkPolicies every second and, when the rules for this node change, swaps them into its
// iptables chain (scripts/k8s/netpol-rules.ts decides them). Stands in for kube-network-policies, whose nftables queue
// rules this kernel cannot load (no CONFIG_NFT_QUEUE). Run by scripts/k8s-up.sh inside the node's network namespace.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { parseArgs } from 'node:util';
import { buildRules, type ClusterState } from './netpol-rules.js';

const { values: args } = parseArgs({
  options: { kubeconfig: { type: 'string' }, node: { type: 'string' }, chain: { type: 'string' }, synced: { type: 'string' } },
});
const { kubeconfig, node, chain, synced } = args;
if (!kubeconfig || !node || !chain || !synced) throw new Error('usage: netpol.ts --kubeconfig FILE --node NAME --chain CHAIN --synced FILE');

// The kubeconfig k8s-up.sh writes (scripts/k8s/certs.sh): every credential inlined, one cluster, one user.
const text = readFileSync(kubeconfig, 'utf8');
const field = (name: string) => {
  const value = new RegExp(`${name}: (\\S+)`).exec(text)?.[1];
  if (!value) throw new Error(`${kubeconfig} has no ${name}`);
  return value;
};
const server = new URL(field('server'));
const tls = {
  ca: Buffer.from(field('certificate-authority-data'), 'base64'),
  cert: Buffer.from(field('client-certificate-data'), 'base64'),
  key: Buffer.from(field('client-key-data'), 'base64'),
};

function get<T>(path: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request({ host: server.hostname, port: server.port, path, ...tls, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`GET ${path}: HTTP ${res.statusCode}`));
        else resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as T);
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: timed out`)));
    req.on('error', reject);
    req.end();
  });
}

function iptables(argv: string[], input?: string): void {
  const r = spawnSync(argv[0] as string, argv.slice(1), { input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr || r.error?.message}`);
}

let applied = '';
let declared: string[] = [];
async function sync(): Promise<void> {
  type List<T> = { items: T[] };
  const [pods, namespaces, policies] = await Promise.all([
    get<List<ClusterState['pods'][number]>>('/api/v1/pods'),
    get<List<ClusterState['namespaces'][number]>>('/api/v1/namespaces'),
    get<List<ClusterState['policies'][number]>>('/apis/networking.k8s.io/v1/networkpolicies'),
  ]);
  const { restore, chains } = buildRules({ pods: pods.items, namespaces: namespaces.items, policies: policies.items }, node as string, chain as string);
  if (restore === applied) return;
  // --noflush: only the chains named in the input are replaced, atomically; the rest of the table is untouched.
  iptables(['iptables-restore', '-w', '--noflush'], restore);
  for (const stale of declared.filter((c) => !chains.includes(c))) {
    iptables(['iptables', '-w', '-F', stale]);
    iptables(['iptables', '-w', '-X', stale]);
  }
  applied = restore;
  declared = chains;
  console.log(`${new Date().toISOString()} applied ${chains.length - 1} pod chain(s) for ${node}`);
  writeFileSync(synced as string, `${new Date().toISOString()}\n`);
}

for (;;) {
  try {
    await sync();
  } catch (error) {
    // The API server restarting or a transient iptables lock: keep the last rules and try again next second.
    console.error(`${new Date().toISOString()} sync failed: ${(error as Error).message}`);
  }
  await new Promise((resolve) => setTimeout(resolve, 1000));
}
