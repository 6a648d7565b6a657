// The test cluster's NetworkPolicy decisions (scripts/k8s/netpol-rules.ts): which pods are isolated, which sources
// each admits, and how ports and ipBlock exceptions become iptables rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRules, matches, type ClusterState, type NetworkPolicy, type Pod } from '../../../scripts/k8s/netpol-rules.js';

const pod = (namespace: string, name: string, ip: string, node: string, labels: Record<string, string> = {}, extra: Partial<Pod['spec']> = {}): Pod => ({
  metadata: { name, namespace, labels },
  spec: { nodeName: node, ...extra },
  status: { podIP: ip, phase: 'Running' },
});
const policy = (namespace: string, spec: NetworkPolicy['spec'], name = 'p'): NetworkPolicy => ({ metadata: { name, namespace }, spec });
const sameNamespace = (ns: string, hosts: string[] = []) =>
  policy(ns, { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: {} }, ...hosts.map((cidr) => ({ ipBlock: { cidr } }))] }] });
const state = (pods: Pod[], policies: NetworkPolicy[], namespaces = ['a', 'b']): ClusterState => ({
  pods,
  policies,
  namespaces: namespaces.map((name) => ({ metadata: { name, labels: { team: name } } })),
});
const rulesOf = (s: ClusterState, node = 'n1') => buildRules(s, node, 'YBK8S-POLICY').restore.split('\n');

test('label selectors: matchLabels and every matchExpressions operator; unknown operators select nothing', () => {
  const labels = { app: 'web', tier: 'front' };
  assert.equal(matches({}, labels), true);
  assert.equal(matches(undefined, labels), true);
  assert.equal(matches({ matchLabels: { app: 'web' } }, labels), true);
  assert.equal(matches({ matchLabels: { app: 'db' } }, labels), false);
  assert.equal(matches({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'back'] }] }, labels), true);
  assert.equal(matches({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }] }, labels), false);
  assert.equal(matches({ matchExpressions: [{ key: 'x', operator: 'NotIn', values: ['front'] }] }, labels), true);
  assert.equal(matches({ matchExpressions: [{ key: 'app', operator: 'Exists' }] }, labels), true);
  assert.equal(matches({ matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, labels), false);
  assert.equal(matches({ matchExpressions: [{ key: 'app', operator: 'Gt', values: ['1'] }] }, labels), false);
});

test('no policy: no pod is isolated (only the established-traffic shortcut is written)', () => {
  const lines = rulesOf(state([pod('a', 'a1', '10.210.1.2', 'n1')], []));
  assert.deepEqual(lines, ['*filter', ':YBK8S-POLICY - [0:0]', '-A YBK8S-POLICY -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN', 'COMMIT', '']);
});

test("same-namespace policy: a pod admits its namespace's pods on any node and the ipBlocks, and rejects the rest", () => {
  const pods = [pod('a', 'a1', '10.210.1.2', 'n1'), pod('a', 'a2', '10.210.2.2', 'n2'), pod('b', 'b1', '10.210.1.3', 'n1'), pod('b', 'b2', '10.210.2.3', 'n2')];
  const { restore, chains } = buildRules(state(pods, [sameNamespace('a', ['10.212.0.1/32'])]), 'n1', 'YBK8S-POLICY');
  const lines = restore.split('\n');
  assert.equal(chains.length, 2, 'one pod chain: a1 (b has no policy, a2 is on the other node)');
  const podChain = chains[1]!;
  assert.ok(lines.includes(`-A YBK8S-POLICY -d 10.210.1.2/32 -j ${podChain}`));
  const own = lines.filter((l) => l.startsWith(`-A ${podChain} `));
  assert.deepEqual(own, [
    `-A ${podChain} -s 10.210.1.2/32 -j ACCEPT`,
    `-A ${podChain} -s 10.210.2.2/32 -j ACCEPT`,
    `-A ${podChain} -s 10.212.0.1/32 -j ACCEPT`,
    `-A ${podChain} -p tcp -j REJECT --reject-with tcp-reset`,
    `-A ${podChain} -j REJECT --reject-with icmp-port-unreachable`,
  ]);
  assert.ok(!restore.includes('10.210.1.3/32 -j ACCEPT') && !restore.includes('10.210.2.3/32 -j ACCEPT'), "b's pods are not admitted");
});

test('host-network, finished and address-less pods are neither isolated nor admitted as peers', () => {
  const pods = [
    pod('a', 'a1', '10.210.1.2', 'n1'),
    pod('a', 'host', '10.212.0.1', 'n1', {}, { hostNetwork: true }),
    { ...pod('a', 'done', '10.210.1.9', 'n1'), status: { podIP: '10.210.1.9', phase: 'Succeeded' } },
    { ...pod('a', 'pending', '', 'n1'), status: { phase: 'Pending' } },
  ];
  const restore = buildRules(state(pods, [sameNamespace('a')]), 'n1', 'C').restore;
  assert.equal(restore.match(/-d /g)?.length, 1, 'only a1 is isolated');
  assert.ok(!restore.includes('10.212.0.1') && !restore.includes('10.210.1.9'));
});

test('peers: a namespaceSelector admits pods of the selected namespaces; with a podSelector, only matching pods', () => {
  const pods = [pod('a', 'a1', '10.210.1.2', 'n1'), pod('b', 'web', '10.210.1.3', 'n1', { role: 'web' }), pod('b', 'db', '10.210.1.4', 'n1', { role: 'db' })];
  const fromB = policy('a', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'b' } } }] }] });
  let restore = buildRules(state(pods, [fromB]), 'n1', 'C').restore;
  assert.ok(restore.includes('-s 10.210.1.3/32 -j ACCEPT') && restore.includes('-s 10.210.1.4/32 -j ACCEPT'));
  const webOfB = policy('a', {
    podSelector: {},
    ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'b' } }, podSelector: { matchLabels: { role: 'web' } } }] }],
  });
  restore = buildRules(state(pods, [webOfB]), 'n1', 'C').restore;
  assert.ok(restore.includes('-s 10.210.1.3/32 -j ACCEPT') && !restore.includes('-s 10.210.1.4/32'));
});

test('ports: numeric, ranges, named (resolved on the destination pod; unknown names admit nothing) and protocol-only', () => {
  const web = pod('a', 'web', '10.210.1.2', 'n1', {}, { containers: [{ ports: [{ name: 'http', containerPort: 8080 }] }] });
  const p = policy('a', {
    podSelector: {},
    ingress: [{ ports: [{ port: 80 }, { protocol: 'UDP', port: 5000, endPort: 5010 }, { port: 'http' }, { port: 'nope' }, { protocol: 'SCTP' }] }],
  });
  const lines = buildRules(state([web], [p]), 'n1', 'C')
    .restore.split('\n')
    .filter((l) => l.includes('-j ACCEPT'));
  assert.deepEqual(
    lines.map((l) => l.replace(/^-A \S+ /, '')),
    ['-p tcp -m tcp --dport 80 -j ACCEPT', '-p udp -m udp --dport 5000:5010 -j ACCEPT', '-p tcp -m tcp --dport 8080 -j ACCEPT', '-p sctp -j ACCEPT'],
  );
});

test('a rule without from admits every source; a policy without ingress rules (or Egress only) decides as written', () => {
  const a1 = pod('a', 'a1', '10.210.1.2', 'n1');
  const open = buildRules(state([a1], [policy('a', { podSelector: {}, ingress: [{}] })]), 'n1', 'C').restore;
  assert.match(open, /-A C-P[0-9a-f]{12} -j ACCEPT/);
  const denyAll = buildRules(state([a1], [policy('a', { podSelector: {} })]), 'n1', 'C').restore;
  assert.ok(!denyAll.includes('ACCEPT') && denyAll.includes('REJECT'), 'an Ingress policy with no rules isolates the pod completely');
  const egressOnly = buildRules(state([a1], [policy('a', { podSelector: {}, policyTypes: ['Egress'] })]), 'n1', 'C').restore;
  assert.ok(!egressOnly.includes('-d '), 'egress-only policies do not isolate ingress');
});

test('ipBlock with exceptions: a chain that returns for the exceptions and accepts the rest; IPv6 blocks are ignored', () => {
  const a1 = pod('a', 'a1', '10.210.1.2', 'n1');
  const p = policy('a', {
    podSelector: {},
    ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.210.0.0/16'] } }, { ipBlock: { cidr: 'fd00::/8' } }] }],
  });
  const lines = rulesOf(state([a1], [p]));
  const jump = lines.find((l) => l.includes('-s 10.0.0.0/8 -j '));
  assert.ok(jump, 'the block jumps to its exception chain');
  const exceptChain = jump.split(' -j ')[1]!;
  assert.deepEqual(
    lines.filter((l) => l.startsWith(`-A ${exceptChain} `)),
    [`-A ${exceptChain} -s 10.210.0.0/16 -j RETURN`, `-A ${exceptChain} -j ACCEPT`],
  );
  assert.ok(!lines.some((l) => l.includes('fd00')));
});

test('the same state gives the same rules (the enforcer skips unchanged syncs); chain names fit iptables', () => {
  const s = state([pod('a', 'a1', '10.210.1.2', 'n1'), pod('a', 'a0', '10.210.1.1', 'n1')], [sameNamespace('a')]);
  const first = buildRules(s, 'n1', 'YBK8S-POLICY');
  assert.equal(buildRules({ ...s, pods: [...s.pods].reverse() }, 'n1', 'YBK8S-POLICY').restore, first.restore);
  for (const c of first.chains) assert.ok(c.length <= 28, `${c} is at most 28 characters`);
});

test('hostile fields never reach iptables: malformed addresses, ports and protocols admit nothing', () => {
  const a1 = pod('a', 'a1', '10.210.1.2', 'n1', {}, { containers: [{ ports: [{ name: 'evil', containerPort: 99999 }] }] });
  const inject = '-j ACCEPT\n-A YBK8S-POLICY -j ACCEPT';
  const p = policy('a', {
    podSelector: {},
    ingress: [
      {
        from: [
          { ipBlock: { cidr: `10.0.0.0/8 ${inject}` } },
          { ipBlock: { cidr: '999.1.1.1/8' } },
          { ipBlock: { cidr: '10.0.0.0/33' } },
          { ipBlock: { cidr: '10.0.0.0/8', except: [`10.1.0.0/16 ${inject}`] } },
        ],
      },
      { ports: [{ protocol: `TCP ${inject}`, port: 80 }, { port: `80 ${inject}` }, { port: 0 }, { port: 70000 }, { port: 'evil' }, { port: 90, endPort: 80 }] },
    ],
  });
  const { restore } = buildRules(state([a1, { ...pod('a', 'x', `10.210.1.3 ${inject}`, 'n1') }], [p]), 'n1', 'YBK8S-POLICY');
  const lines = restore.split('\n');
  assert.ok(!lines.some((l) => l === '-A YBK8S-POLICY -j ACCEPT'), 'no injected line');
  assert.ok(!restore.includes('999.') && !restore.includes('/33') && !restore.includes('70000') && !restore.includes('90:80'));
  // Every peer and port above is malformed (a block with a malformed exception too): the pod admits nothing.
  assert.deepEqual(
    lines.filter((l) => l.includes('ACCEPT')),
    [],
  );
  assert.ok(lines.at(-3)?.endsWith('-j REJECT --reject-with icmp-port-unreachable'));
});
