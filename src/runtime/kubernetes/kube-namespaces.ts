// Teams' namespaces on the Kubernetes backend (docs/architecture.md §6.2): one per team, made once per process with
// its isolation NetworkPolicy and deleted when it runs no pod; and the Services that give a namespace's aliases
// (the host names its processes and services answer to) their cluster IPs.
import { setTimeout as sleep } from 'node:timers/promises';
import { LABEL_INSTANCE } from '../workload-labels.js';
import type { KubeApi } from './kube-api.js';
import { ANNOTATION_ALIAS, aliasService, aliasServiceName, isolationPolicy, namespaceManifest, namespaceName, servicePorts } from './kube-objects.js';
import type { List, Meta, Pod } from './kube-state.js';

export class TeamNamespaces {
  private readonly made = new Map<string, Promise<string>>();

  constructor(
    private readonly api: KubeApi,
    private readonly instance: string,
    /** Sources the isolation policy admits besides the team's own pods. */
    private readonly hostCidrs: string[],
  ) {}

  /** The team's namespace with its isolation policy (created when missing). */
  ensure(team: string): Promise<string> {
    let made = this.made.get(team);
    if (!made) {
      made = this.make(team);
      this.made.set(team, made);
      made.catch(() => this.made.delete(team));
    }
    return made;
  }

  private async make(team: string): Promise<string> {
    const name = namespaceName(this.instance, team);
    const existing = await this.api.tolerate<{ metadata: Meta; status?: { phase?: string } }, null>('GET', `/api/v1/namespaces/${name}`, [404], null);
    if (existing && existing.metadata.labels?.[LABEL_INSTANCE] !== this.instance)
      throw new Error(`the namespace ${name} exists but is not this platform instance's; remove it or choose another YB_INSTANCE`);
    if (existing?.status?.phase === 'Terminating') {
      for (let i = 0; i < 600; i++) {
        if (!(await this.api.tolerate('GET', `/api/v1/namespaces/${name}`, [404], null))) break;
        await sleep(100);
      }
    }
    await this.api.tolerate('POST', '/api/v1/namespaces', [409], null, { body: namespaceManifest(this.instance, team) });
    await this.api.tolerate('POST', `/apis/networking.k8s.io/v1/namespaces/${name}/networkpolicies`, [409], null, {
      body: isolationPolicy(this.instance, team, this.hostCidrs),
    });
    return name;
  }

  /** Deletes this instance's namespaces that run no pod; resolves to their names. */
  async removeEmpty(): Promise<string[]> {
    const list = await this.api.call<List<{ metadata: Meta }>>('GET', '/api/v1/namespaces', { query: { labelSelector: `${LABEL_INSTANCE}=${this.instance}` } });
    const removed: string[] = [];
    for (const ns of list.items) {
      const name = ns.metadata.name;
      const pods = await this.api.call<List<Pod>>('GET', `/api/v1/namespaces/${name}/pods`, { query: { limit: 1 } });
      if (pods.items.length) continue;
      await this.api.tolerate('DELETE', `/api/v1/namespaces/${name}`, [404, 409], null);
      for (const [team, p] of this.made) if ((await p.catch(() => '')) === name) this.made.delete(team);
      removed.push(name);
    }
    return removed;
  }

  /** Makes sure each alias has its Service (with `ports`); resolves to every alias of the namespace and its IP. */
  async aliases(namespace: string, aliases: string[], ports: number[]): Promise<Array<{ ip: string; hostnames: string[] }>> {
    for (const alias of aliases) {
      if (!ports.length) continue;
      const path = `/api/v1/namespaces/${namespace}/services`;
      const body = aliasService(this.instance, namespace, alias, ports);
      const made = await this.api.tolerate('POST', path, [409], null, { body });
      if (made === null) {
        const cur = await this.api.call<{ spec: { ports?: Array<{ port: number }> } }>('GET', `${path}/${aliasServiceName(alias)}`);
        const have = new Set((cur.spec.ports ?? []).map((p) => p.port));
        if (ports.some((p) => !have.has(p))) {
          const all = [...new Set([...have, ...ports])].sort((a, b) => a - b);
          await this.api.call('PATCH', `${path}/${aliasServiceName(alias)}`, {
            body: { spec: { ports: servicePorts(all) } },
            contentType: 'application/merge-patch+json',
          });
        }
      }
    }
    const list = await this.api.call<List<{ metadata: Meta; spec: { clusterIP?: string } }>>('GET', `/api/v1/namespaces/${namespace}/services`, {
      query: { labelSelector: `${LABEL_INSTANCE}=${this.instance}` },
    });
    return list.items
      .filter((s) => s.spec.clusterIP && s.spec.clusterIP !== 'None' && s.metadata.annotations?.[ANNOTATION_ALIAS])
      .map((s) => ({ ip: s.spec.clusterIP!, hostnames: [s.metadata.annotations![ANNOTATION_ALIAS]!] }));
  }
}
