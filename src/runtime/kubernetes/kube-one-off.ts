// One-off pods on Kubernetes (docs/architecture.md §6.2): the release phase, deploy scripts and `yb run` as bare pods
// that are never restarted, their environment in a Secret the pod owns; made, watched to their end and removed here.
import { setTimeout as sleep } from 'node:timers/promises';
import type { HardeningSettings } from '../hardening.js';
import type { TaskSpec, Workload } from '../runtime.js';
import type { KubeApi } from './kube-api.js';
import { CONTAINER, capsOf, defaultMemory, envSecret, namespaceName, objectName, podSpec, taskManifest } from './kube-objects.js';
import { STUCK, type Pod } from './kube-state.js';
import type { OneOffPod } from './kube-streams.js';

/** How long a one-off may take to start (pull included). */
const ONE_OFF_START_MS = 180_000;

/** What a one-off needs of the runtime. */
export interface OneOffContext {
  api: KubeApi;
  instance: string;
  hardening: HardeningSettings;
  /** The reference nodes pull the image by. */
  forCluster(image: string): Promise<string>;
  ensureNetwork(team: string): Promise<string>;
  /** The aliases of the namespace and their addresses. */
  hostAliases(namespace: string): Promise<Array<{ ip: string; hostnames: string[] }>>;
  /** The node directory of a named volume (an app's storage). */
  volumeDir(name: string): string;
}

/** A one-off pod of `spec` (env in its own Secret), not yet created. */
export function oneOffPod(ctx: OneOffContext, spec: TaskSpec, w: Workload, stdin?: { tty: boolean }): OneOffPod {
  const { api, instance } = ctx;
  const namespace = spec.network ?? namespaceName(instance, w.team ?? 'tasks');
  const name = objectName(`${instance}-${w.kind}-${w.app ?? 'x'}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`);
  const memoryLimitBytes = spec.memoryBytes ?? defaultMemory('run', ctx.hardening) ?? 0;
  const podPath = `/api/v1/namespaces/${namespace}/pods/${name}`;
  const readPod = () => api.tolerate<Pod, null>('GET', podPath, [404], null);
  return {
    namespace,
    name,
    tty: stdin?.tty ?? false,
    memoryLimitBytes,
    async create() {
      if (!spec.network) await ctx.ensureNetwork(w.team ?? 'tasks');
      const image = await ctx.forCluster(spec.image);
      const hostAliases = await ctx.hostAliases(namespace);
      await api.call('POST', `/api/v1/namespaces/${namespace}/secrets`, { body: envSecret(instance, namespace, name, w, spec.env ?? {}) });
      const pod = podSpec({
        image,
        args: spec.command,
        envSecret: name,
        memoryBytes: memoryLimitBytes || undefined,
        ...(spec.nanoCpus ? { nanoCpus: spec.nanoCpus } : {}),
        ...(spec.user ? { user: spec.user } : {}),
        caps: capsOf('run'),
        hostAliases,
        restartPolicy: 'Never',
        graceSeconds: 5,
        ...(spec.volumes?.length ? { volumes: spec.volumes.map((v, i) => ({ name: `data${i}`, hostPath: ctx.volumeDir(v.name), path: v.path })) } : {}),
        ...(stdin ? { stdin } : {}),
      });
      const made = await api.call<Pod>('POST', `/api/v1/namespaces/${namespace}/pods`, { body: taskManifest(instance, namespace, name, w, pod) });
      await api.call('PATCH', `/api/v1/namespaces/${namespace}/secrets/${name}`, {
        body: { metadata: { ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name, uid: made.metadata.uid }] } },
        contentType: 'application/merge-patch+json',
      });
    },
    async started() {
      let reason = '';
      for (const until = Date.now() + ONE_OFF_START_MS; Date.now() < until; await sleep(100)) {
        const pod = await readPod();
        const cs = pod?.status?.containerStatuses?.[0];
        if (!pod || cs?.state?.running || cs?.state?.terminated || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
        reason = cs?.state?.waiting?.reason ?? pod.status?.phase ?? '';
        if (STUCK.has(reason)) break;
      }
      throw new Error(`the one-off could not start (${reason || 'no reason given'}; image ${spec.image.slice(0, 80)})`);
    },
    async exitState() {
      for (;;) {
        const pod = await readPod();
        const t = pod?.status?.containerStatuses?.[0]?.state?.terminated;
        if (!pod) return { code: 137, oomKilled: false };
        if (t) return { code: t.exitCode, oomKilled: t.reason === 'OOMKilled' };
        const waiting = pod.status?.containerStatuses?.[0]?.state?.waiting?.reason;
        if (waiting && STUCK.has(waiting)) return { code: 125, oomKilled: false };
        await sleep(200);
      }
    },
    followLogs: () => api.stream(`${podPath}/log`, { container: CONTAINER, follow: true }),
    async kill() {
      await api.tolerate('DELETE', podPath, [404], null, { query: { gracePeriodSeconds: 0 } });
    },
    async remove() {
      await api.tolerate('DELETE', podPath, [404], null, { query: { gracePeriodSeconds: 0 } });
      await api.tolerate('DELETE', `/api/v1/namespaces/${namespace}/secrets/${name}`, [404], null);
    },
  };
}
