// The Kubernetes backend of the runtime contract (runtime.ts; docs/architecture.md §6.2). A team is a namespace with
// an isolation NetworkPolicy; an app process is a ReplicaSet of one pod (a crash restarts its container, a drain
// moves it), a service a StatefulSet of one with its data on a host path; one-offs and the release phase are bare
// pods; builds stay on the control plane's engine (the builder runtime). A process's id is `<namespace>/<object>`;
// its address is its pod's IP and port, which routers reach directly. Only objects with the instance's label are touched.
import { setTimeout as sleep } from 'node:timers/promises';
import { chown, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { splitLines } from '../../shared/line-splitter.js';
import type { HardeningSettings } from '../hardening.js';
import {
  APP_USER,
  RunTimeoutError,
  storageVolume,
  type Address,
  type Attachment,
  type ExecResult,
  type ImageStore,
  type ProcessInfo,
  type ProcessSpec,
  type ProcessState,
  type Runtime,
  type RuntimeEvent,
  type Selector,
  type TaskSpec,
  type Usage,
  type Workload,
} from '../runtime.js';
import { LABEL_INSTANCE, workloadLabels, workloadOf } from '../workload-labels.js';
import type { KubeApi } from './kube-api.js';
import { KubeEvents } from './kube-events.js';
import { TeamNamespaces } from './kube-namespaces.js';
import { ProcessPods } from './kube-pods.js';
import { ClusterImages } from './kube-images.js';
import {
  ANNOTATION_FIRST_POD,
  CONTAINER,
  LABEL_OBJECT,
  capsOf,
  defaultMemory,
  disruptionBudget,
  envSecret,
  objectName,
  podSpec,
  processManifest,
  selectorOf,
} from './kube-objects.js';
import { oneOffPod } from './kube-one-off.js';
import { accepts, splitId, stateOf, type List, type Meta, type Pod, type Workset } from './kube-state.js';
import { attachPod, execCommand, execInPod, type OneOffPod } from './kube-streams.js';

export interface KubernetesSettings {
  instance: string;
  hardening: HardeningSettings;
  /** Where services' data volumes live on the nodes (hostPath; one directory per volume). */
  volumesDir: string;
  /** Sources the team isolation policy admits besides the team's own pods: the nodes, where routers run. */
  hostCidrs: string[];
  /** Seconds a web pod that is asked to stop keeps serving (a drain): routers drop it meanwhile. */
  preStopSeconds: number;
}

const ANNOTATION_HEALTHCHECK = 'yunbang.io/image-healthcheck';

export class KubernetesRuntime implements Runtime {
  readonly images: ImageStore;
  private readonly cluster: ClusterImages;
  private readonly events: KubeEvents;
  private readonly namespaces: TeamNamespaces;
  private readonly pods: ProcessPods;
  /** Disruption budgets known to exist (namespace/app/type). */
  private readonly budgets = new Set<string>();
  private readonly stats = new Map<string, { at: number; summary: Promise<unknown> }>();

  constructor(
    private readonly api: KubeApi,
    private readonly builder: Runtime,
    private readonly s: KubernetesSettings,
    registryUrl: string,
    onProblem: (err: unknown) => void = () => undefined,
  ) {
    this.images = builder.images;
    this.cluster = new ClusterImages(builder.images, s.instance, registryUrl);
    this.events = new KubeEvents(api, s.instance, onProblem);
    this.namespaces = new TeamNamespaces(api, s.instance, s.hostCidrs);
    this.pods = new ProcessPods(api, s.instance);
  }

  get instance(): string {
    return this.s.instance;
  }

  async ping(): Promise<void> {
    await this.api.call('GET', '/version');
    await this.builder.ping();
  }

  /** The team's namespace with its isolation policy (created when missing). */
  ensureNetwork(team: string): Promise<string> {
    return this.namespaces.ensure(team);
  }

  async removeNetworks(): Promise<void> {
    for (const ns of await this.namespaces.removeEmpty()) for (const k of this.budgets) if (k.startsWith(`${ns}/`)) this.budgets.delete(k);
  }

  private volumeDir(name: string): string {
    return join(this.s.volumesDir, name.replace(/[^A-Za-z0-9._-]/g, '-'));
  }

  async startProcess(spec: ProcessSpec): Promise<{ id: string; address?: Address }> {
    const namespace = spec.network;
    const name = objectName(spec.name);
    const service = spec.workload.kind === 'service';
    const [image, healthcheck] = await Promise.all([this.cluster.forCluster(spec.image), this.cluster.healthCommand(spec.image)]);
    const ports = spec.listens ?? (spec.port ? [spec.port] : []);
    const hostAliases = await this.namespaces.aliases(namespace, spec.aliases, ports);
    const volumes = [
      ...(spec.volumes ?? []).map((v, i) => ({ name: `data${i}`, hostPath: this.volumeDir(v.name), path: v.path })),
      ...(spec.hostDirs ?? []).map((d, i) => ({ name: `host${i}`, hostPath: d.dir, path: d.path, readOnly: d.readOnly })),
    ];
    const pod = podSpec({
      image,
      args: spec.command,
      envSecret: name,
      ...(spec.port ? { port: spec.port } : {}),
      ...(spec.readinessPath ? { readinessPath: spec.readinessPath } : {}),
      memoryBytes: spec.memoryBytes ?? defaultMemory(spec.workload.kind, this.s.hardening),
      ...(spec.nanoCpus ? { nanoCpus: spec.nanoCpus } : {}),
      ...(spec.user ? { user: spec.user } : {}),
      caps: capsOf(spec.workload.kind),
      hostAliases,
      restartPolicy: 'Always',
      volumes,
      ...(spec.port && !service ? { preStopSleep: this.s.preStopSeconds } : {}),
    });
    const manifest = processManifest(this.instance, namespace, spec, pod);
    (manifest.metadata as Meta).annotations = { [ANNOTATION_HEALTHCHECK]: JSON.stringify(healthcheck) };
    const secrets = `/api/v1/namespaces/${namespace}/secrets`;
    await this.api.tolerate('DELETE', `${secrets}/${name}`, [404], null); // a leftover of an earlier attempt
    await this.api.call('POST', secrets, { body: envSecret(this.instance, namespace, name, spec.workload, spec.env) });
    const setPath = `/apis/apps/v1/namespaces/${namespace}/${service ? 'statefulsets' : 'replicasets'}`;
    const set = await this.api.call<Workset>('POST', setPath, { body: manifest });
    // The Secret goes with its process (garbage collection follows the owner).
    await this.api.call('PATCH', `${secrets}/${name}`, {
      body: { metadata: { ownerReferences: [{ apiVersion: 'apps/v1', kind: service ? 'StatefulSet' : 'ReplicaSet', name, uid: set.metadata.uid }] } },
      contentType: 'application/merge-patch+json',
    });
    if (!service) await this.markFirstPod(namespace, name, setPath);
    const { app, type } = spec.workload;
    if (!service && app && type && !this.budgets.has(`${namespace}/${app}/${type}`)) {
      await this.api.tolerate('POST', `/apis/policy/v1/namespaces/${namespace}/poddisruptionbudgets`, [409], null, {
        body: disruptionBudget(this.instance, namespace, app, type),
      });
      this.budgets.add(`${namespace}/${app}/${type}`);
    }
    return { id: `${namespace}/${name}` };
  }

  /** Notes the ReplicaSet's first pod: any later one replaced it, and the platform treats that as a restart. */
  private async markFirstPod(namespace: string, name: string, setPath: string): Promise<void> {
    for (let i = 0; i < 300; i++) {
      const pods = await this.pods.of(namespace, name);
      const first = pods.sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''))[0];
      if (first) {
        await this.api.call('PATCH', `${setPath}/${name}`, {
          body: { metadata: { annotations: { [ANNOTATION_FIRST_POD]: first.metadata.name } } },
          contentType: 'application/merge-patch+json',
        });
        return;
      }
      await sleep(50);
    }
  }

  /** The controller of a process id (ReplicaSet or StatefulSet) if it is this instance's. */
  private async owned(id: string): Promise<{ set: Workset; path: string; namespace: string; name: string } | null> {
    const ref = splitId(id);
    if (!ref) return null;
    for (const kind of ['replicasets', 'statefulsets']) {
      const path = `/apis/apps/v1/namespaces/${ref.namespace}/${kind}/${ref.name}`;
      const set = await this.api.tolerate<Workset, null>('GET', path, [404], null);
      if (set && set.metadata.labels?.[LABEL_INSTANCE] === this.instance) {
        set.kind = kind === 'statefulsets' ? 'StatefulSet' : 'ReplicaSet';
        return { set, path, ...ref };
      }
    }
    return null;
  }

  async stopProcess(id: string, graceSeconds: number): Promise<void> {
    const o = await this.owned(id);
    if (!o) return;
    // The controller goes first (its pods stay), then the pods with the caller's grace: SIGTERM, then SIGKILL.
    await this.api.tolerate('DELETE', o.path, [404], null, { body: { propagationPolicy: 'Orphan' } });
    await this.pods.remove(o, graceSeconds);
    await this.api.tolerate('DELETE', `/api/v1/namespaces/${o.namespace}/secrets/${o.name}`, [404], null);
  }

  private async scale(o: { path: string }, replicas: number): Promise<void> {
    await this.api.call('PATCH', o.path, { body: { spec: { replicas } }, contentType: 'application/merge-patch+json' });
  }

  async pauseProcess(id: string, graceSeconds: number): Promise<void> {
    const o = await this.owned(id);
    if (!o) return;
    await this.scale(o, 0);
    await this.pods.remove(o, graceSeconds);
  }

  async resumeProcess(id: string): Promise<void> {
    const o = await this.owned(id);
    if (!o) return;
    await this.scale(o, 1);
    await this.pods.untilServed(o, undefined, 120_000);
  }

  async restartProcess(id: string, graceSeconds: number): Promise<void> {
    const o = await this.owned(id);
    if (!o) return;
    const before = await this.pods.current(o.namespace, o.name);
    if (before) {
      await this.api.tolerate('DELETE', `/api/v1/namespaces/${o.namespace}/pods/${before.metadata.name}`, [404], null, {
        query: { gracePeriodSeconds: graceSeconds },
      });
      // A StatefulSet makes its pod again under the same name once the old one is gone.
      await this.pods.untilServed(o, before.metadata.uid, (graceSeconds + 60) * 1000);
    }
  }

  async listProcesses(selector: Selector): Promise<ProcessInfo[]> {
    const labelSelector = selectorOf(this.instance, workloadLabels(selector));
    const [rs, sts, pods] = await Promise.all([
      this.api.call<List<Workset>>('GET', '/apis/apps/v1/replicasets', { query: { labelSelector } }),
      this.api.call<List<Workset>>('GET', '/apis/apps/v1/statefulsets', { query: { labelSelector } }),
      this.api.call<List<Pod>>('GET', '/api/v1/pods', { query: { labelSelector } }),
    ]);
    const podOf = new Map<string, Pod>();
    for (const p of pods.items.filter((p) => !p.metadata.deletionTimestamp)) podOf.set(`${p.metadata.namespace}/${p.metadata.labels?.[LABEL_OBJECT]}`, p);
    return [...rs.items, ...sts.items].map((set) => {
      const id = `${set.metadata.namespace}/${set.metadata.name}`;
      const pod = podOf.get(id);
      const cs = pod?.status?.containerStatuses?.[0];
      const status =
        set.spec.replicas === 0 ? 'exited' : cs?.state?.running ? 'running' : (cs?.state?.waiting?.reason ?? (cs?.state?.terminated ? 'exited' : 'created'));
      return {
        id,
        name: set.metadata.name,
        workload: workloadOf(set.metadata.labels),
        running: Boolean(cs?.state?.running) && set.spec.replicas !== 0,
        status: status.toLowerCase(),
        created: Math.floor(Date.parse(set.metadata.creationTimestamp ?? '') / 1000) || 0,
      };
    });
  }

  async processState(id: string): Promise<ProcessState | null> {
    const o = await this.owned(id);
    if (!o) return null;
    let healthcheck: string[] | null = null;
    try {
      healthcheck = JSON.parse(o.set.metadata.annotations?.[ANNOTATION_HEALTHCHECK] ?? 'null') as string[] | null;
    } catch {
      healthcheck = null;
    }
    return stateOf(o.set, await this.pods.current(o.namespace, o.name), healthcheck);
  }

  /** Readiness: a TCP connection to the pod's own IP (no proxy in front of it, so an accept means it listens). */
  async listening(id: string, port: number): Promise<boolean> {
    const ref = splitId(id);
    const pod = ref ? await this.pods.current(ref.namespace, ref.name) : undefined;
    const ip = pod?.status?.podIP;
    if (!ip || !pod?.status?.containerStatuses?.[0]?.state?.running) return false;
    return accepts(ip, port);
  }

  private async podOfId(id: string): Promise<{ namespace: string; pod: string } | null> {
    const ref = splitId(id);
    if (!ref) return null;
    const pod = await this.pods.current(ref.namespace, ref.name);
    return pod ? { namespace: ref.namespace, pod: pod.metadata.name } : null;
  }

  async exec(id: string, command: string[], opts: { timeoutMs: number; env?: Record<string, string>; user?: string }): Promise<ExecResult> {
    const at = await this.podOfId(id);
    if (!at) return { code: null, stdout: '', stderr: 'the process has no running pod' };
    return execInPod(this.api, at.namespace, at.pod, execCommand(command, opts.env, opts.user), opts.timeoutMs);
  }

  async logsTail(id: string, lines: number): Promise<string[]> {
    const at = await this.podOfId(id);
    if (!at) return [];
    const text = await this.api.tolerate<string, string>('GET', `/api/v1/namespaces/${at.namespace}/pods/${at.pod}/log`, [400, 404], '', {
      query: { container: CONTAINER, tailLines: lines },
    });
    return String(text ?? '')
      .split('\n')
      .filter((l) => l !== '');
  }

  async followLogs(id: string, sinceSeconds: number): Promise<Readable | null> {
    const ref = splitId(id);
    if (!ref) return null;
    // A container that has not started yet has no log to follow (the API answers 400): wait for it to start or end.
    let at: { namespace: string; pod: string } | null = null;
    for (const until = Date.now() + 300_000; Date.now() < until; await sleep(200)) {
      const pod = await this.pods.current(ref.namespace, ref.name);
      if (!pod) {
        if (!(await this.owned(id))) return null;
        continue;
      }
      const st = pod.status?.containerStatuses?.[0]?.state;
      if (st?.running || st?.terminated) {
        at = { namespace: ref.namespace, pod: pod.metadata.name };
        break;
      }
    }
    if (!at) return null;
    return this.api.stream(`/api/v1/namespaces/${at.namespace}/pods/${at.pod}/log`, {
      container: CONTAINER,
      follow: true,
      timestamps: true,
      ...(sinceSeconds > 0 ? { sinceSeconds: Math.max(1, Math.floor(Date.now() / 1000) - sinceSeconds) } : {}),
    });
  }

  watch(onEvent: (e: RuntimeEvent) => void): Promise<() => void> {
    return this.events.subscribe(onEvent);
  }

  /** CPU and memory from the kubelet's summary of the pod's node (read at most once a second per node). */
  async usage(id: string): Promise<Usage | null> {
    const ref = splitId(id);
    const pod = ref ? await this.pods.current(ref.namespace, ref.name) : undefined;
    const node = pod?.spec?.nodeName;
    if (!pod || !node) return null;
    let cached = this.stats.get(node);
    if (!cached || Date.now() - cached.at > 1000) {
      cached = { at: Date.now(), summary: this.api.call('GET', `/api/v1/nodes/${node}/proxy/stats/summary`).catch(() => null) };
      this.stats.set(node, cached);
    }
    const summary = (await cached.summary) as {
      pods?: Array<{
        podRef: { name: string; namespace: string };
        containers?: Array<{ cpu?: { usageNanoCores?: number }; memory?: { workingSetBytes?: number } }>;
      }>;
    } | null;
    const p = summary?.pods?.find((x) => x.podRef.name === pod.metadata.name && x.podRef.namespace === pod.metadata.namespace);
    const c = p?.containers?.[0];
    if (!c) return null;
    return { cpuCores: (c.cpu?.usageNanoCores ?? 0) / 1e9, memoryBytes: c.memory?.workingSetBytes ?? 0 };
  }

  /** A one-off pod of `spec` (env in its own Secret), not yet created. */
  private oneOff(spec: TaskSpec, w: Workload, stdin?: { tty: boolean }): OneOffPod {
    return oneOffPod(
      {
        api: this.api,
        instance: this.instance,
        hardening: this.s.hardening,
        forCluster: (image) => this.cluster.forCluster(image),
        ensureNetwork: (team) => this.ensureNetwork(team),
        hostAliases: (namespace) => this.namespaces.aliases(namespace, [], []),
        volumeDir: (name) => this.volumeDir(name),
      },
      spec,
      w,
      stdin,
    );
  }

  /** Builds and tasks on the platform's disk run on the builder; the release phase and one-offs as pods. */
  async runTask(spec: TaskSpec, onLine: (line: string) => void): Promise<number> {
    if (spec.hardening === 'build' || spec.hostDirs?.length) return this.builder.runTask(spec, onLine);
    const w = spec.workload ?? { kind: 'run' };
    const p = this.oneOff(spec, w);
    try {
      await p.create();
      let timer: NodeJS.Timeout | undefined;
      const run = (async () => {
        await p.started();
        const logs = await p.followLogs();
        if (logs) await splitLines(logs, onLine);
        return (await p.exitState()).code;
      })();
      if (!spec.timeoutMs) return await run;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          void p.kill();
          reject(new RunTimeoutError(spec.timeoutMs!));
        }, spec.timeoutMs);
      });
      try {
        return await Promise.race([run, timeout]);
      } finally {
        clearTimeout(timer);
      }
    } finally {
      await p.remove().catch(() => undefined); // removal of a finished task is best effort
    }
  }

  async attach(spec: TaskSpec & { workload: Workload; tty: boolean }): Promise<Attachment> {
    return attachPod(this.api, this.oneOff(spec, spec.workload, { tty: spec.tty }));
  }

  /** Removes a service's data directory (`<instance>-svc-<service>`, so only this instance's). */
  async removeVolume(name: string, service: string): Promise<void> {
    if (name !== `${this.instance}-svc-${service}`) return;
    await rm(this.volumeDir(name), { recursive: true, force: true });
  }

  /**
   * Makes the node directory owned by APP_USER (pods that mount it would otherwise make it root's: hostPath
   * DirectoryOrCreate). Like removeStorage, this assumes the control plane sees the nodes' volume directory.
   */
  async createStorage(name: string): Promise<void> {
    const dir = this.volumeDir(storageVolume(this.instance, name));
    if ((await mkdir(dir, { recursive: true })) === undefined) return;
    await chown(dir, APP_USER.uid, APP_USER.gid);
  }

  async removeStorage(name: string): Promise<void> {
    await rm(this.volumeDir(storageVolume(this.instance, name)), { recursive: true, force: true });
  }

  /** The data is on the nodes, which the control plane does not size. */
  async storageSizes(): Promise<Map<string, number>> {
    return new Map();
  }

  close(): void {
    this.events.close();
    (this.builder as { close?: () => void }).close?.();
  }
}
