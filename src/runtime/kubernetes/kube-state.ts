// What the Kubernetes backend reads back (docs/architecture.md §6.2): the shapes of the objects it makes, a process id's
// parts, and a process's live state from its controller and newest pod. Pure, but for one TCP probe (accepts).
import { connect } from 'node:net';
import type { ProcessState } from '../runtime.js';
import type { PodLike } from './kube-events.js';
import { ANNOTATION_FIRST_POD } from './kube-objects.js';

export interface Meta {
  name: string;
  namespace: string;
  uid: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
}
export interface Workset {
  kind?: string;
  metadata: Meta;
  spec: { replicas?: number; serviceName?: string; template: { spec: { containers: Array<{ ports?: Array<{ containerPort: number }> }> } } };
}
export interface Pod extends PodLike {
  metadata: PodLike['metadata'] & { creationTimestamp?: string; annotations?: Record<string, string> };
  spec?: { nodeName?: string; containers?: Array<{ ports?: Array<{ containerPort: number }> }> };
}
export interface List<T> {
  items: T[];
}

/** Docker's default HEALTHCHECK --timeout, which the platform applies when it runs the check itself. */
const CHECK_TIMEOUT_MS = 30_000;
/**
 * Container waiting reasons that will not end by themselves: the process is dead for the platform. Others are retried
 * by the kubelet and count as starting (a busy registry; the kubelet's Secret cache, which may not be allowed to read
 * a new pod's Secret for a moment; containerd's name reservations): a health check's time limit ends them if they last.
 */
export const STUCK = new Set(['InvalidImageName']);

/** Whether a TCP connection to `host:port` is accepted within half a second. */
export function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: 500 });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(false));
  });
}

export function splitId(id: string): { namespace: string; name: string } | null {
  const m = /^([a-z0-9-]{1,63})\/([a-z0-9-]{1,63})$/.exec(id);
  return m ? { namespace: m[1]!, name: m[2]! } : null;
}

/** The live state of a process from its controller and newest pod. Pure. */
export function stateOf(set: Workset, pod: Pod | undefined, healthcheck: string[] | null): ProcessState {
  const firstPod = set.metadata.annotations?.[ANNOTATION_FIRST_POD];
  const replaced = pod && firstPod && set.kind !== 'StatefulSet' && pod.metadata.name !== firstPod ? 1 : 0;
  const cs = pod?.status?.containerStatuses?.[0];
  const port = set.spec.template.spec.containers[0]?.ports?.[0]?.containerPort;
  const base = {
    restarts: (cs?.restartCount ?? 0) + replaced,
    oomKilled: (cs?.state?.terminated?.reason ?? cs?.lastState?.terminated?.reason) === 'OOMKilled',
    imageCheck: { command: healthcheck, timeoutMs: CHECK_TIMEOUT_MS },
  };
  if (set.spec.replicas === 0 || !pod) {
    // Stopped (services), or a pod about to be made: the controller is there, so the process is starting.
    const stopped = set.spec.replicas === 0;
    return { ...base, running: !stopped, restarting: false, exitCode: stopped ? 0 : null, startedAt: '' };
  }
  const waiting = cs?.state?.waiting?.reason;
  const terminated = cs?.state?.terminated;
  if (cs?.state?.running) {
    const address = pod.status?.podIP && port ? { host: pod.status.podIP, port } : undefined;
    return { ...base, running: true, restarting: false, exitCode: null, startedAt: cs.state.running.startedAt ?? '', ...(address ? { address } : {}) };
  }
  if (terminated) return { ...base, running: false, restarting: false, exitCode: terminated.exitCode, startedAt: '' };
  if (waiting === 'CrashLoopBackOff')
    return { ...base, running: false, restarting: true, exitCode: cs?.lastState?.terminated?.exitCode ?? null, startedAt: '' };
  if (waiting && STUCK.has(waiting)) return { ...base, running: false, restarting: false, exitCode: null, startedAt: '' };
  return { ...base, running: true, restarting: false, exitCode: null, startedAt: '' }; // scheduled, pulling, creating
}
