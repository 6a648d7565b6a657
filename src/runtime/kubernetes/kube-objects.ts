// The Kubernetes objects of the platform's workloads (docs/architecture.md §6.2), built from the runtime contract's
// specs. Pure: names, labels and manifests; kubernetes-runtime.ts sends them. Every object carries the instance's
// label, so nothing of another instance (or of the cluster's own) is ever touched.
import { createHash } from 'node:crypto';
import type { ProcessSpec, Workload } from '../runtime.js';
import { PROCESS_CAPS, SERVICE_CAPS, type HardeningSettings } from '../hardening.js';
import { LABEL_INSTANCE, LABEL_TEAM, workloadLabels } from '../workload-labels.js';

/** The label that ties a pod to the process (ReplicaSet, StatefulSet) or task it belongs to. */
export const LABEL_OBJECT = 'yunbang.object';
/** The annotation that keeps the name of a process's first pod: a later pod is a replacement (a restart). */
export const ANNOTATION_FIRST_POD = 'yunbang.io/first-pod';
/** The annotation of an alias Service: the name the team reaches it by. */
export const ANNOTATION_ALIAS = 'yunbang.io/alias';
/** The one container of every pod the platform makes. */
export const CONTAINER = 'main';

type Json = Record<string, unknown>;

const hash = (s: string, n = 8) => createHash('sha256').update(s).digest('hex').slice(0, n);

/** A DNS-1123 label of at most `max` characters for `s` (a hash keeps long or changed names distinct). Pure. */
export function dnsLabel(s: string, max = 63): string {
  const clean = s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .replace(/-{2,}/g, '-');
  if (clean && clean.length <= max && clean === s) return clean;
  const head = clean.slice(0, max - 9).replace(/-+$/, '');
  return `${head || 'x'}-${hash(s)}`;
}

/** The namespace of a team's workloads: one per instance and team (the hash keeps "a-b"+"c" from "a"+"b-c"). */
export function namespaceName(instance: string, team: string): string {
  return dnsLabel(`${instance}.${team}`);
}

/** The object name of a process or task (ReplicaSet and pod names add a suffix, so at most 52 characters). */
export function objectName(specName: string): string {
  return dnsLabel(specName, 52);
}

/** The label that marks the pods an alias Service sends to. */
export function aliasLabel(alias: string): string {
  return `yunbang.alias.${hash(alias, 12)}`;
}

/**
 * The Service a team reaches `alias` by: named as the alias itself when it can be (the cluster's DNS then resolves
 * the bare name inside the namespace, as Docker's network aliases do), else a hashed name reached by hostAliases.
 */
export function aliasServiceName(alias: string): string {
  return /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/.test(alias) ? alias : dnsLabel(`a.${alias}`);
}

/** The labels of a workload's objects: the instance's, then the workload's. Pure. */
export function objectLabels(instance: string, w: Workload, name: string): Record<string, string> {
  return { [LABEL_INSTANCE]: instance, ...workloadLabels(w), [LABEL_OBJECT]: name };
}

/** A label selector (`k=v,k=v`) of the instance and `labels`. Pure. */
export function selectorOf(instance: string, labels: Record<string, string>): string {
  return Object.entries({ [LABEL_INSTANCE]: instance, ...labels })
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

export function namespaceManifest(instance: string, team: string): Json {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: namespaceName(instance, team), labels: { [LABEL_INSTANCE]: instance, [LABEL_TEAM]: team } },
  };
}

/**
 * The isolation of a team (docs/architecture.md §6.2): its pods admit traffic only from pods of the same namespace and
 * from `hostCidrs` (the nodes, where the routers run); egress is left open (apps call the internet and the host's
 * registries the same as on Docker).
 */
export function isolationPolicy(instance: string, team: string, hostCidrs: string[]): Json {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'yunbang-team-isolation', namespace: namespaceName(instance, team), labels: { [LABEL_INSTANCE]: instance } },
    spec: {
      podSelector: {},
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ podSelector: {} }, ...hostCidrs.map((cidr) => ({ ipBlock: { cidr } }))] }],
    },
  };
}

/** A Service's ports: each the same port on the pods. Pure. */
export function servicePorts(ports: number[]): Json[] {
  return ports.map((p) => ({ name: `p${p}`, port: p, targetPort: p, protocol: 'TCP' }));
}

export function aliasService(instance: string, namespace: string, alias: string, ports: number[]): Json {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: aliasServiceName(alias),
      namespace,
      labels: { [LABEL_INSTANCE]: instance },
      annotations: { [ANNOTATION_ALIAS]: alias },
    },
    spec: {
      type: 'ClusterIP',
      selector: { [LABEL_INSTANCE]: instance, [aliasLabel(alias)]: 'y' },
      ports: servicePorts(ports),
    },
  };
}

/**
 * The disruption budget of an app's processes of one type: a drain evicts them one at a time, each once its
 * replacement is ready (a single process may go: there is nothing to keep it company).
 */
export function disruptionBudget(instance: string, namespace: string, app: string, type: string): Json {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: dnsLabel(`pdb-${app}-${type}`), namespace, labels: { [LABEL_INSTANCE]: instance, ...workloadLabels({ app, type }) } },
    spec: {
      maxUnavailable: 1,
      selector: { matchLabels: { [LABEL_INSTANCE]: instance, ...workloadLabels({ kind: 'process', app, type }) } },
    },
  };
}

/** Kubernetes quantities of a memory limit in bytes and a CPU limit in nano-CPUs. */
function resources(memoryBytes: number | undefined, nanoCpus: number | undefined): Json {
  const limits: Record<string, string> = {};
  const requests: Record<string, string> = { cpu: '10m' };
  if (memoryBytes) limits.memory = requests.memory = String(memoryBytes);
  if (nanoCpus) limits.cpu = `${Math.max(1, Math.round(nanoCpus / 1e6))}m`;
  return { limits, requests };
}

/** A numeric user for runAsUser ("1000" or "1000:1000"); names are the image's business (Kubernetes needs numbers). */
function runAs(user: string | undefined): Json {
  const m = user ? /^(\d+)(?::(\d+))?$/.exec(user) : null;
  if (!m) return {};
  return { runAsUser: Number(m[1]), ...(m[2] ? { runAsGroup: Number(m[2]) } : {}) };
}

export interface PodParts {
  image: string;
  /** The command replaces the image's CMD and keeps its ENTRYPOINT, as Docker's Cmd does. */
  args: string[] | undefined;
  envSecret?: string;
  env?: Record<string, string>;
  port?: number;
  /** An HTTP readiness probe of `port` at this path instead of a TCP connect. */
  readinessPath?: string;
  memoryBytes?: number;
  nanoCpus?: number;
  user?: string;
  caps: readonly string[];
  hostAliases: Array<{ ip: string; hostnames: string[] }>;
  restartPolicy: 'Always' | 'Never';
  volumes?: Array<{ name: string; hostPath: string; path: string; readOnly?: boolean }>;
  stdin?: { tty: boolean };
  graceSeconds?: number;
  /** Seconds a stopping pod keeps serving after it was asked to stop (routers drop it meanwhile). */
  preStopSleep?: number;
}

/** The pod spec every workload shares: hardened like Docker's (hardening.ts), no service-account token, no service links. */
export function podSpec(p: PodParts): Json {
  const container: Json = {
    name: CONTAINER,
    image: p.image,
    imagePullPolicy: 'IfNotPresent',
    ...(p.args ? { args: p.args } : {}),
    ...(p.env ? { env: Object.entries(p.env).map(([name, value]) => ({ name, value })) } : {}),
    ...(p.envSecret ? { envFrom: [{ secretRef: { name: p.envSecret } }] } : {}),
    ...(p.port ? { ports: [{ containerPort: p.port, protocol: 'TCP' }] } : {}),
    ...(p.port
      ? {
          readinessProbe: {
            ...(p.readinessPath ? { httpGet: { path: p.readinessPath, port: p.port } } : { tcpSocket: { port: p.port } }),
            periodSeconds: 1,
            failureThreshold: 1,
            successThreshold: 1,
          },
        }
      : {}),
    ...(p.preStopSleep ? { lifecycle: { preStop: { sleep: { seconds: p.preStopSleep } } } } : {}),
    resources: resources(p.memoryBytes, p.nanoCpus),
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'], add: [...p.caps] },
      ...runAs(p.user),
    },
    ...(p.volumes?.length ? { volumeMounts: p.volumes.map((v) => ({ name: v.name, mountPath: v.path, readOnly: v.readOnly ?? false })) } : {}),
    ...(p.stdin ? { stdin: true, stdinOnce: true, tty: p.stdin.tty } : {}),
  };
  return {
    containers: [container],
    restartPolicy: p.restartPolicy,
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    terminationGracePeriodSeconds: (p.graceSeconds ?? 10) + (p.preStopSleep ?? 0),
    ...(p.hostAliases.length ? { hostAliases: p.hostAliases } : {}),
    ...(p.volumes?.length ? { volumes: p.volumes.map((v) => ({ name: v.name, hostPath: { path: v.hostPath, type: 'DirectoryOrCreate' } })) } : {}),
  };
}

/** The caps of a process spec's kind (hardening.ts). */
export function capsOf(kind: Workload['kind']): readonly string[] {
  return kind === 'service' ? SERVICE_CAPS : kind === 'build' ? [] : PROCESS_CAPS;
}

/** The memory a process gets when its size does not say (hardening.ts). */
export function defaultMemory(kind: Workload['kind'], h: HardeningSettings): number | undefined {
  const m = kind === 'service' ? h.serviceMemoryBytes : h.processMemoryBytes;
  return m || undefined;
}

/** The env Secret of a process: its config, out of the pod spec (docs/architecture.md §6.2). */
export function envSecret(instance: string, namespace: string, name: string, w: Workload, env: Record<string, string>): Json {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, labels: objectLabels(instance, w, name) },
    type: 'Opaque',
    data: Object.fromEntries(Object.entries(env).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  };
}

/**
 * A long-running process: a ReplicaSet of one pod for app processes (the cluster moves it when its node is drained
 * or lost), a StatefulSet of one for services (their data volume stays with them).
 */
export function processManifest(instance: string, namespace: string, spec: ProcessSpec, pod: Json): Json {
  const name = objectName(spec.name);
  const labels = objectLabels(instance, spec.workload, name);
  const aliasLabels = Object.fromEntries(spec.aliases.map((a) => [aliasLabel(a), 'y']));
  // Processes of one app and type prefer different nodes, so a drained or lost node takes only part of them.
  const spread = spec.workload.type
    ? {
        affinity: {
          podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              {
                weight: 100,
                podAffinityTerm: {
                  topologyKey: 'kubernetes.io/hostname',
                  labelSelector: { matchLabels: { [LABEL_INSTANCE]: instance, ...workloadLabels({ app: spec.workload.app, type: spec.workload.type }) } },
                },
              },
            ],
          },
        },
      }
    : {};
  const template = { metadata: { labels: { ...labels, ...aliasLabels } }, spec: { ...pod, ...spread } };
  const service = spec.workload.kind === 'service';
  return {
    apiVersion: 'apps/v1',
    kind: service ? 'StatefulSet' : 'ReplicaSet',
    metadata: { name, namespace, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: { [LABEL_INSTANCE]: instance, [LABEL_OBJECT]: name } },
      template,
      ...(service ? { serviceName: aliasServiceName(spec.aliases[0] ?? name), podManagementPolicy: 'Parallel' } : {}),
    },
  };
}

/** A task's or one-off's bare pod (never restarted). */
export function taskManifest(instance: string, namespace: string, name: string, w: Workload, pod: Json): Json {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, labels: objectLabels(instance, w, name) }, spec: pod };
}
