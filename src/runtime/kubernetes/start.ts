// Starts the Kubernetes backend for ybd (docs/architecture.md §6.2): reads YB_KUBECONFIG, checks the API server
// answers, works out which sources the team isolation policy admits (the nodes), and keeps the builder runtime
// (the Docker engine on this host) for builds and images.
import { resolve, join } from 'node:path';
import type { Logger } from '../../shared/logger.js';
import type { HardeningSettings } from '../hardening.js';
import { RuntimeUnavailableError, type Runtime } from '../runtime.js';
import { KubeApi } from './kube-api.js';
import { KubernetesRuntime } from './kubernetes-runtime.js';

export interface KubernetesBackendSettings {
  instance: string;
  kubeconfig: string;
  registryUrl: string;
  hostCidrs: string[];
  volumesDir: string;
  dataDir: string;
  hardening: HardeningSettings;
}

interface NodeList {
  items: Array<{ spec?: { podCIDR?: string; podCIDRs?: string[] }; status?: { addresses?: Array<{ type: string; address: string }> } }>;
}

/** Each node's InternalIP and the first address of its pod CIDRs (a bridge CNI's gateway, where the host's connections come from). Pure. */
export function nodeSources(nodes: NodeList): string[] {
  const out = new Set<string>();
  for (const n of nodes.items) {
    for (const a of n.status?.addresses ?? []) if (a.type === 'InternalIP' && /^\d+\.\d+\.\d+\.\d+$/.test(a.address)) out.add(`${a.address}/32`);
    for (const cidr of n.spec?.podCIDRs ?? (n.spec?.podCIDR ? [n.spec.podCIDR] : [])) {
      const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/\d+$/.exec(cidr);
      if (m) out.add(`${m[1]}.${m[2]}.${m[3]}.${Number(m[4]) + 1}/32`);
    }
  }
  return [...out].sort();
}

export async function startKubernetesRuntime(s: KubernetesBackendSettings, builder: Runtime & { close(): void }, log: Logger): Promise<KubernetesRuntime> {
  if (!s.kubeconfig)
    throw new RuntimeUnavailableError(
      'YB_RUNTIME=kubernetes needs YB_KUBECONFIG (the cluster to run apps on); npm start makes a local one with scripts/k8s-up.sh',
    );
  if (!s.registryUrl)
    throw new RuntimeUnavailableError(
      'YB_RUNTIME=kubernetes needs YB_REGISTRY_URL: a registry the Docker engine pushes to and every node pulls from (scripts/k8s-up.sh starts one)',
    );
  const api = new KubeApi(resolve(s.kubeconfig));
  await api.call('GET', '/version');
  const hostCidrs = s.hostCidrs.length ? s.hostCidrs : nodeSources(await api.call<NodeList>('GET', '/api/v1/nodes'));
  log.info({ server: api.where, hostCidrs }, 'Kubernetes backend: connected');
  return new KubernetesRuntime(
    api,
    builder,
    { instance: s.instance, hardening: s.hardening, volumesDir: s.volumesDir || join(resolve(s.dataDir), 'volumes'), hostCidrs, preStopSeconds: 1 },
    s.registryUrl,
    (err) => log.warn({ err }, 'the Kubernetes pod watch failed; opening it again'),
  );
}
