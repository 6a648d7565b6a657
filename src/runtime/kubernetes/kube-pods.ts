// The pods of one process on the Kubernetes backend (docs/architecture.md §6.2): which are its, which one is it now,
// removing them with a grace period, and waiting until a new one serves (for a service, behind its Service).
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeApi } from './kube-api.js';
import { LABEL_OBJECT, selectorOf } from './kube-objects.js';
import { accepts, type List, type Pod, type Workset } from './kube-state.js';

/** How long a node's proxy may take to apply a Service's new endpoints: kube-proxy's default minSyncPeriod (1 s) and a margin. */
const PROXY_SYNC_MS = 2000;

export class ProcessPods {
  constructor(
    private readonly api: KubeApi,
    private readonly instance: string,
  ) {}

  /** The pods of the process object `name` (its controller's or its own), stopping ones too. */
  of(namespace: string, name: string): Promise<Pod[]> {
    return this.api
      .call<List<Pod>>('GET', `/api/v1/namespaces/${namespace}/pods`, { query: { labelSelector: selectorOf(this.instance, { [LABEL_OBJECT]: name }) } })
      .then((l) => l.items);
  }

  /** The pod that is the process now: the newest one not stopping. */
  async current(namespace: string, name: string): Promise<Pod | undefined> {
    const pods = (await this.of(namespace, name)).filter((p) => !p.metadata.deletionTimestamp);
    return pods.sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''))[0];
  }

  /** Deletes the process's pods with `graceSeconds` (SIGTERM, then SIGKILL) and waits until they are gone. */
  async remove(o: { namespace: string; name: string }, graceSeconds: number): Promise<void> {
    await this.api.tolerate('DELETE', `/api/v1/namespaces/${o.namespace}/pods`, [404], null, {
      query: { labelSelector: selectorOf(this.instance, { [LABEL_OBJECT]: o.name }), gracePeriodSeconds: graceSeconds },
    });
    const until = Date.now() + (graceSeconds + 30) * 1000;
    while (Date.now() < until) {
      if ((await this.of(o.namespace, o.name)).length === 0) return;
      await sleep(100);
    }
  }

  /**
   * Waits until the process's new pod (not `before`) runs and, for a service, until it accepts on its port and its alias
   * Service's endpoints name that pod alone: clients reach services through the Service's virtual address, which the
   * endpoint controller and every node's proxy move to the new pod a moment after it starts (on Docker, a restarted
   * container keeps its address). The pod is asked directly: from the control plane's host the virtual address may
   * leave with an address another node's isolation policy does not admit.
   */
  async untilServed(o: { set: Workset; namespace: string; name: string }, before: string | undefined, ms: number): Promise<void> {
    const until = Date.now() + ms;
    let pod: Pod | undefined;
    for (; Date.now() < until; await sleep(200)) {
      pod = await this.current(o.namespace, o.name);
      if (pod && pod.metadata.uid !== before && pod.status?.containerStatuses?.[0]?.state?.running && pod.status.podIP) break;
      pod = undefined;
    }
    const svcName = o.set.spec.serviceName;
    if (!pod || !svcName) return;
    const svc = await this.api.tolerate<{ spec: { clusterIP?: string; ports?: Array<{ port: number }> } }, null>(
      'GET',
      `/api/v1/namespaces/${o.namespace}/services/${svcName}`,
      [404],
      null,
    );
    const port = svc?.spec.ports?.[0]?.port;
    const podIP = pod.status?.podIP;
    if (!port || !podIP) return;
    for (; Date.now() < until; await sleep(100)) {
      const slices = await this.api.call<List<{ endpoints?: Array<{ addresses: string[]; conditions?: { ready?: boolean } }> }>>(
        'GET',
        `/apis/discovery.k8s.io/v1/namespaces/${o.namespace}/endpointslices`,
        { query: { labelSelector: `kubernetes.io/service-name=${svcName}` } },
      );
      const ready = slices.items
        .flatMap((x) => x.endpoints ?? [])
        .filter((e) => e.conditions?.ready !== false)
        .flatMap((e) => e.addresses);
      if (ready.length === 1 && ready[0] === podIP && (await accepts(podIP, port))) {
        // Each node's proxy rewrites its rules from the slice on its own schedule, at most once per sync period (1 s by
        // default): until then that node rejects the virtual address or sends it nowhere. No API says when every node
        // has caught up, so wait out one period with a margin for a busy node.
        await sleep(PROXY_SYNC_MS);
        return;
      }
    }
  }
}
