// The test cluster's NetworkPolicy decisions (docs/architecture.md §6.3): from the cluster's pods, namespaces and
// NetworkPolicies, the iptables rules one node needs to enforce ingress to its own pods. Pure; scripts/k8s/netpol.ts
// reads the API server and applies the result. Egress policies are not enforced (the platform writes ingress only).
import { createHash } from 'node:crypto';

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}
export interface Pod {
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  spec: { nodeName?: string; hostNetwork?: boolean; containers?: { ports?: { name?: string; containerPort: number; protocol?: string }[] }[] };
  status: { podIP?: string; phase?: string };
}
export interface Namespace {
  metadata: { name: string; labels?: Record<string, string> };
}
interface PolicyPort {
  protocol?: string;
  port?: number | string;
  endPort?: number;
}
interface PolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}
export interface NetworkPolicy {
  metadata: { name: string; namespace: string };
  spec: { podSelector: LabelSelector; policyTypes?: string[]; ingress?: { from?: PolicyPeer[]; ports?: PolicyPort[] }[] };
}
export interface ClusterState {
  pods: Pod[];
  namespaces: Namespace[];
  policies: NetworkPolicy[];
}

/** Whether labels satisfy a Kubernetes label selector (an empty selector selects everything). */
export function matches(selector: LabelSelector | undefined, labels: Record<string, string> = {}): boolean {
  if (!selector) return true;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, key);
    const value = labels[key] ?? '';
    if (operator === 'In' && !(has && values.includes(value))) return false;
    if (operator === 'NotIn' && has && values.includes(value)) return false;
    if (operator === 'Exists' && !has) return false;
    if (operator === 'DoesNotExist' && has) return false;
    if (!['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(operator)) return false; // unknown: selects nothing
  }
  return true;
}

// Everything below comes from tenants' objects and ends up in iptables-restore input: only well-formed addresses,
// ports and protocols pass (one bad line would make the whole restore fail and freeze every node's rules).
const isIPv4 = (s: string) => {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
};
const isIPv4Cidr = (s: string) => {
  const [ip = '', bits = '', ...rest] = s.split('/');
  return rest.length === 0 && isIPv4(ip) && /^\d{1,2}$/.test(bits) && Number(bits) <= 32;
};
const isPort = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 65535;
const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];
const live = (p: Pod): p is Pod & { status: { podIP: string } } =>
  !p.spec.hostNetwork && isIPv4(p.status.podIP ?? '') && p.status.phase !== 'Succeeded' && p.status.phase !== 'Failed';
const appliesToIngress = (p: NetworkPolicy) => !p.spec.policyTypes || p.spec.policyTypes.includes('Ingress');
const chainName = (prefix: string, key: string) => `${prefix}${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;

/** The iptables port matches of one ingress rule for a destination pod: [''] means every port; [] matches nothing. */
function portMatches(ports: PolicyPort[] | undefined, pod: Pod): string[] {
  if (!ports || ports.length === 0) return [''];
  const out: string[] = [];
  for (const { protocol = 'TCP', port, endPort } of ports) {
    if (!PROTOCOLS.includes(protocol)) continue; // unknown: the rule admits nothing on it
    const proto = protocol.toLowerCase();
    if (port === undefined) {
      out.push(`-p ${proto}`);
      continue;
    }
    let number = typeof port === 'number' ? port : undefined;
    if (typeof port === 'string') {
      // A named port is the destination pod's container port of that name (none: the rule admits nothing).
      const named = pod.spec.containers?.flatMap((c) => c.ports ?? []).find((p) => p.name === port && (p.protocol ?? 'TCP') === protocol);
      number = named?.containerPort;
    }
    if (!isPort(number) || (endPort !== undefined && !(isPort(endPort) && endPort >= number))) continue;
    out.push(`-p ${proto} -m ${proto} --dport ${endPort !== undefined ? `${number}:${endPort}` : number}`);
  }
  return out;
}

/** Source matches of one peer: pod IPs, or a CIDR with optional exceptions. */
function peerSources(peer: PolicyPeer, policyNamespace: string, state: ClusterState): { cidr: string; except: string[] }[] {
  if (peer.ipBlock) {
    if (!isIPv4Cidr(String(peer.ipBlock.cidr))) return []; // IPv6 blocks: the cluster is IPv4-only
    const except = peer.ipBlock.except ?? [];
    if (!except.every((c) => isIPv4Cidr(String(c)))) return []; // a block whose exceptions cannot be honoured admits nothing
    return [{ cidr: peer.ipBlock.cidr, except }];
  }
  const nsLabels = new Map(state.namespaces.map((n) => [n.metadata.name, { ...n.metadata.labels, 'kubernetes.io/metadata.name': n.metadata.name }]));
  return state.pods
    .filter(live)
    .filter((p) => (peer.namespaceSelector ? matches(peer.namespaceSelector, nsLabels.get(p.metadata.namespace)) : p.metadata.namespace === policyNamespace))
    .filter((p) => matches(peer.podSelector, p.metadata.labels))
    .map((p) => ({ cidr: `${p.status.podIP}/32`, except: [] }))
    .sort((a, b) => a.cidr.localeCompare(b.cidr)); // the API's order varies; unchanged state must give unchanged rules
}

/**
 * iptables-restore input (table filter, --noflush) that fills `chain` with one jump per pod of `node` that an ingress
 * policy selects; each such pod's own chain accepts the admitted sources and rejects the rest. Traffic from the node's
 * own processes (kubelet probes) never passes FORWARD, so it is always admitted, as most CNIs do; other nodes (the
 * host's router, for a pod on node 2) need an ipBlock. Returns the rules and every chain they declare.
 */
export function buildRules(state: ClusterState, node: string, chain: string): { restore: string; chains: string[] } {
  const head = [`:${chain} - [0:0]`];
  const body = [`-A ${chain} -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN`];
  const chains = [chain];
  const pods = state.pods
    .filter(live)
    .filter((p) => p.spec.nodeName === node)
    .sort((a, b) => a.status.podIP.localeCompare(b.status.podIP));
  for (const pod of pods) {
    const selecting = state.policies
      .filter((p) => p.metadata.namespace === pod.metadata.namespace && appliesToIngress(p) && matches(p.spec.podSelector, pod.metadata.labels))
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    if (selecting.length === 0) continue; // not isolated: every source is admitted
    const podChain = chainName(`${chain}-P`, `${pod.metadata.namespace}/${pod.metadata.name}/${pod.status.podIP}`);
    head.push(`:${podChain} - [0:0]`);
    chains.push(podChain);
    body.push(`-A ${chain} -d ${pod.status.podIP}/32 -j ${podChain}`);
    for (const policy of selecting) {
      for (const rule of policy.spec.ingress ?? []) {
        const ports = portMatches(rule.ports, pod);
        const sources =
          rule.from && rule.from.length > 0 ? rule.from.flatMap((peer) => peerSources(peer, policy.metadata.namespace, state)) : [{ cidr: '', except: [] }];
        for (const port of ports) {
          for (const { cidr, except } of sources) {
            const match = [cidr ? `-s ${cidr}` : '', port].filter(Boolean).join(' ');
            if (except.length === 0) {
              body.push(`-A ${podChain} ${match} -j ACCEPT`.replace('  ', ' '));
              continue;
            }
            // An ipBlock with exceptions: a small chain that returns for the exceptions and accepts the rest.
            const exceptChain = chainName(`${chain}-E`, `${podChain}/${cidr}/${except.join(',')}/${port}`);
            if (!chains.includes(exceptChain)) {
              head.push(`:${exceptChain} - [0:0]`);
              chains.push(exceptChain);
              for (const e of except) body.push(`-A ${exceptChain} -s ${e} -j RETURN`);
              body.push(`-A ${exceptChain} -j ACCEPT`);
            }
            body.push(`-A ${podChain} ${match} -j ${exceptChain}`);
          }
        }
      }
    }
    body.push(`-A ${podChain} -p tcp -j REJECT --reject-with tcp-reset`, `-A ${podChain} -j REJECT --reject-with icmp-port-unreachable`);
  }
  return { restore: ['*filter', ...head, ...body, 'COMMIT', ''].join('\n'), chains };
}
