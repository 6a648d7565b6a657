// Follows the stdout/stderr of every app process of this platform instance through the runtime (runtime.ts
// followLogs), as processes appear (the runtime's event stream, plus a periodic re-list), and across process and
// platform restarts: each process is read from just after the last line already stored (`since` + a timestamp
// key), so lines are neither lost nor repeated. Also turns process exits into `yb[web.1]` state lines.
import type { Readable } from 'node:stream';
import { LineSplitter } from '../shared/line-splitter.js';
import { shortProcessId, type Runtime, type RuntimeEvent, type Workload } from '../runtime/runtime.js';
import type { Logger } from '../shared/logger.js';
import type { LogHub } from './log-hub.js';
import { sinceSeconds, splitDockerLine, type LogLine } from './line.js';

interface Followed {
  stream: Readable;
}

export class ContainerFollower {
  /** Container id (12 hex) → time key of the last stored line. */
  readonly cursors = new Map<string, string>();
  private readonly following = new Map<string, Followed>();
  /** Stopped containers whose output has been read to the end: `${id}:${state}`. */
  private readonly drained = new Set<string>();
  /** Containers the platform was stopping (a `kill` event came first): their exit is not a crash. */
  private readonly stopping = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private unwatch: (() => void) | undefined;
  private syncing: Promise<void> | undefined;
  private again = false;
  private closed = false;

  constructor(
    private readonly runtime: Runtime,
    private readonly hub: LogHub,
    private readonly log: Logger,
    private readonly pollMs = 3000,
  ) {}

  /** Remembers how far a container was read (from stored lines). */
  seen(l: LogLine): void {
    if (!l.c || !l.d) return;
    const cur = this.cursors.get(l.c);
    if (!cur || l.d > cur) this.cursors.set(l.c, l.d);
  }

  async start(): Promise<void> {
    await this.watchEvents().catch((err: unknown) => this.log.warn({ err }, 'runtime events unavailable; relying on polling'));
    await this.sync();
    this.timer = setInterval(() => void this.sync(), this.pollMs);
    this.timer.unref();
  }

  stop(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.unwatch?.();
    for (const f of this.following.values()) f.stream.destroy();
    this.following.clear();
  }

  private async watchEvents(): Promise<void> {
    this.unwatch = await this.runtime.watch(
      (e: RuntimeEvent) => {
        if (e.workload.kind !== 'process') return;
        const id = shortProcessId(e.id);
        if (e.action === 'kill') this.stopping.add(id);
        if (e.action === 'die') this.onExit(id, e.workload, e.exitCode);
        void this.sync();
      },
      // Events lost in a gap of the stream (the engine restarted): look at every process again at once.
      () => void this.sync(),
    );
  }

  private onExit(id: string, w: Workload, exitCode: number | undefined): void {
    if (!w.app) return;
    const proc = `${w.type ?? 'process'}.${w.index ?? 1}`;
    const code = exitCode ?? '?';
    const stopped = this.stopping.delete(id);
    const msg = stopped
      ? exitCode === undefined
        ? 'Stopped'
        : `Stopped (exit code ${code})`
      : `Process exited with status ${code}; state changed from up to crashed`;
    this.hub.append(w.app, [{ t: new Date().toISOString(), s: 'yb', p: proc, m: msg }]);
  }

  /** Lists our process containers and starts reading every one not read yet; coalesces overlapping calls. */
  async sync(): Promise<void> {
    if (this.closed) return;
    if (this.syncing) {
      this.again = true;
      return this.syncing;
    }
    this.syncing = (async () => {
      do {
        this.again = false;
        try {
          await this.syncOnce();
        } catch (err) {
          this.log.warn({ err }, 'listing containers for logs failed');
        }
      } while (this.again && !this.closed);
    })().finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  private async syncOnce(): Promise<void> {
    const processes = await this.runtime.listProcesses({ kind: 'process' });
    const live = new Set<string>();
    for (const c of processes) {
      const id = shortProcessId(c.id);
      live.add(id);
      if (this.following.has(id)) continue;
      if (!c.running && this.drained.has(`${id}:${c.status}`)) continue;
      const app = c.workload.app;
      if (!app) continue;
      const proc = `${c.workload.type ?? 'process'}.${c.workload.index ?? 1}`;
      await this.follow(c.id, id, app, proc, c.running, c.status);
    }
    for (const key of this.drained) if (!live.has(key.split(':')[0]!)) this.drained.delete(key);
  }

  private async follow(fullId: string, id: string, app: string, proc: string, running: boolean, state: string): Promise<void> {
    const cursor = this.cursors.get(id);
    let merged: Readable | null;
    try {
      merged = await this.runtime.followLogs(fullId, cursor ? sinceSeconds(cursor) : 0);
    } catch (err) {
      this.log.warn({ err, container: id }, 'following process output failed');
      return;
    }
    if (!merged) return; // gone meanwhile
    this.following.set(id, { stream: merged });
    let batch: LogLine[] = [];
    let flushTimer: NodeJS.Timeout | undefined;
    const flush = () => {
      flushTimer = undefined;
      if (batch.length === 0) return;
      const out = batch;
      batch = [];
      this.hub.append(app, out);
    };
    // Bounded lines (shared/line-splitter): a process printing without newlines cannot fill the control plane.
    const lines = new LineSplitter((text) => {
      const d = splitDockerLine(text);
      if (!d) return;
      const last = this.cursors.get(id);
      if (last && d.key <= last) return; // already stored before (same second as the `since` cursor)
      this.cursors.set(id, d.key);
      batch.push({ t: d.iso, s: 'app', p: proc, m: d.text, c: id, d: d.key });
      if (batch.length >= 200) flush();
      else flushTimer ??= setTimeout(flush, 20);
    });
    merged.on('data', (chunk: Buffer) => lines.push(chunk));
    merged.once('end', () => {
      lines.end();
      if (flushTimer) clearTimeout(flushTimer);
      flush();
      this.following.delete(id);
      if (!running) this.drained.add(`${id}:${state}`);
      else if (!this.closed) setTimeout(() => void this.sync(), 250).unref(); // it stopped (or restarts): look again once Docker knows
    });
  }
}
