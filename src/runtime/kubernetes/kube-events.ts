// The runtime's process events on Kubernetes (runtime.ts watch; docs/architecture.md §6.2): one watch of this
// instance's pods in every namespace, shared by all subscribers, turned into start/die events of the process a pod
// belongs to. A pod asked to stop (deleted, evicted by a drain) is a kill at once, so routers drop it while it still
// serves (its preStop pause), and a death when its container ended; the watch is reopened after it ends, from a fresh list (no event is made up for that list).
import type { Readable } from 'node:stream';
import { splitLines } from '../../shared/line-splitter.js';
import type { RuntimeEvent } from '../runtime.js';
import { workloadOf, LABEL_INSTANCE } from '../workload-labels.js';
import type { KubeApi } from './kube-api.js';
import { LABEL_OBJECT } from './kube-objects.js';

export interface PodLike {
  metadata: { name: string; namespace: string; uid: string; labels?: Record<string, string>; deletionTimestamp?: string; resourceVersion?: string };
  status?: {
    phase?: string;
    podIP?: string;
    containerStatuses?: Array<{
      restartCount: number;
      state?: { running?: { startedAt?: string }; waiting?: { reason?: string }; terminated?: { exitCode: number; reason?: string } };
      lastState?: { terminated?: { exitCode: number; reason?: string } };
    }>;
  };
}

/** What an event decision needs to remember of a pod. */
interface Seen {
  running: string | null;
  stopping: boolean;
  /** Stopping and its end was reported (or there was nothing running to report). */
  ended: boolean;
}

/** The id of the process a pod belongs to: `<namespace>/<object>`. Pure. */
export function processIdOf(pod: PodLike): string | null {
  const object = pod.metadata.labels?.[LABEL_OBJECT];
  return object ? `${pod.metadata.namespace}/${object}` : null;
}

/**
 * The events a pod's change makes, given what was seen of it before (undefined: new). Pure. A pod asked to stop (by
 * the platform, a drain, an eviction) is a `kill` at once, while it still serves its preStop pause, and a `die` with
 * its exit code once its container ended (or without one when the pod went first).
 */
export function podEvents(
  before: Seen | undefined,
  pod: PodLike | null,
  deleted: boolean,
): { events: Array<{ action: RuntimeEvent['action']; exitCode?: number }>; now: Seen } {
  const events: Array<{ action: RuntimeEvent['action']; exitCode?: number }> = [];
  const cs = pod?.status?.containerStatuses?.[0];
  const runningSince = !deleted && cs?.state?.running ? (cs.state.running.startedAt ?? 'yes') : null;
  const stopping = deleted || Boolean(pod?.metadata.deletionTimestamp);
  const was = before ?? { running: null, stopping: false, ended: false };
  const ended = cs?.state?.terminated?.exitCode;
  const die = (code: number | undefined) => events.push({ action: 'die', ...(code !== undefined ? { exitCode: code } : {}) });
  if (stopping) {
    const live = Boolean(was.running || runningSince);
    if (!was.stopping && live) events.push({ action: 'kill' });
    const killed = was.stopping ? !was.ended : live;
    if (killed && (ended !== undefined || deleted)) {
      die(ended);
      return { events, now: { running: null, stopping: true, ended: true } };
    }
    return { events, now: { running: null, stopping: true, ended: was.stopping ? was.ended : !live } };
  }
  if (was.running && runningSince !== was.running) die(ended ?? cs?.lastState?.terminated?.exitCode);
  if (runningSince && runningSince !== was.running) events.push({ action: 'start' });
  return { events, now: { running: runningSince, stopping: false, ended: false } };
}

export class KubeEvents {
  private readonly subscribers = new Set<(e: RuntimeEvent) => void>();
  private readonly seen = new Map<string, Seen>();
  /** The process (`<namespace>/<object>`) of each pod seen. */
  private readonly processOf = new Map<string, string>();
  private stream: Readable | null = null;
  private opening: Promise<void> | null = null;
  private closed = false;
  private backoffMs = 500;

  constructor(
    private readonly api: KubeApi,
    private readonly instance: string,
    private readonly onProblem: (err: unknown) => void,
  ) {}

  async subscribe(onEvent: (e: RuntimeEvent) => void): Promise<() => void> {
    this.subscribers.add(onEvent);
    if (!this.stream && !this.opening) this.opening = this.open().finally(() => (this.opening = null));
    await this.opening;
    return () => this.subscribers.delete(onEvent);
  }

  private async open(): Promise<void> {
    const selector = `${LABEL_INSTANCE}=${this.instance}`;
    const list = await this.api.call<{ metadata: { resourceVersion: string }; items: PodLike[] }>('GET', '/api/v1/pods', {
      query: { labelSelector: selector },
    });
    for (const pod of list.items) {
      this.seen.set(pod.metadata.uid, podEvents(this.seen.get(pod.metadata.uid), pod, false).now);
      const id = processIdOf(pod);
      if (id) this.processOf.set(pod.metadata.uid, id);
    }
    const stream = await this.api.stream('/api/v1/pods', {
      watch: 1,
      labelSelector: selector,
      resourceVersion: list.metadata.resourceVersion,
      allowWatchBookmarks: false,
    });
    if (!stream) throw new Error('the pod watch answered 404');
    this.stream = stream;
    this.backoffMs = 500;
    void splitLines(stream, (line) => this.line(line)).finally(() => this.reopen());
    stream.on('error', () => undefined); // ends the line splitter; reopened below
  }

  private reopen(): void {
    this.stream = null;
    if (this.closed) return;
    const wait = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, 10_000);
    setTimeout(() => {
      if (this.closed || this.stream || this.opening) return;
      this.opening = this.open()
        .catch((err: unknown) => {
          this.onProblem(err);
          this.reopen();
        })
        .finally(() => (this.opening = null));
    }, wait).unref();
  }

  private line(line: string): void {
    if (!line.trim()) return;
    let ev: { type: string; object: PodLike };
    try {
      ev = JSON.parse(line) as { type: string; object: PodLike };
    } catch {
      return;
    }
    if (ev.type === 'ERROR' || !ev.object?.metadata?.uid) return; // 410 Gone and kin: the stream ends and is reopened
    const pod = ev.object;
    const uid = pod.metadata.uid;
    const deleted = ev.type === 'DELETED';
    const before = this.seen.get(uid);
    const { events, now } = podEvents(before, pod, deleted);
    const id = processIdOf(pod);
    if (deleted) {
      this.seen.delete(uid);
      this.processOf.delete(uid);
    } else {
      this.seen.set(uid, now);
      if (id) this.processOf.set(uid, id);
    }
    if (!id) return;
    // The end of a pod that was asked to stop while another pod of its process runs (a drained pod and the one that
    // replaced it) is not the process's death: the platform would withdraw the replacement's address.
    const replaced = before?.stopping && [...this.processOf].some(([other, p]) => other !== uid && p === id && this.seen.get(other)?.running);
    const workload = workloadOf(pod.metadata.labels);
    for (const e of events) {
      if (e.action === 'die' && replaced) continue;
      for (const s of this.subscribers) s({ action: e.action, id, workload, ...(e.exitCode !== undefined ? { exitCode: e.exitCode } : {}) });
    }
  }

  close(): void {
    this.closed = true;
    this.stream?.destroy();
  }
}
