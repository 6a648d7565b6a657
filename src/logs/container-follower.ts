// Follows the stdout/stderr of every app process container of this platform instance through the Docker API,
// as containers appear (Docker events, plus a periodic re-list), and across container and platform restarts:
// each container is read from just after the last line already stored (Docker `since` + a timestamp key),
// so lines are neither lost nor repeated. Also turns container exits into `yb[web.1]` state lines.
import { PassThrough, type Readable } from 'node:stream';
import { LineSplitter } from '../runtime/line-splitter.js';
import { LABEL_APP, LABEL_INDEX, LABEL_KIND, LABEL_PROCESS, LABEL_INSTANCE, type DockerRuntime } from '../runtime/docker.js';
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
  private events: Readable | undefined;
  private syncing: Promise<void> | undefined;
  private again = false;
  private closed = false;

  constructor(
    private readonly runtime: DockerRuntime,
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
    await this.watchEvents().catch((err: unknown) => this.log.warn({ err }, 'Docker events unavailable; relying on polling'));
    await this.sync();
    this.timer = setInterval(() => void this.sync(), this.pollMs);
    this.timer.unref();
  }

  stop(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.events?.destroy();
    for (const f of this.following.values()) f.stream.destroy();
    this.following.clear();
  }

  private async watchEvents(): Promise<void> {
    const filters = {
      type: ['container' as const],
      event: ['start', 'die', 'kill'],
      label: [`${LABEL_INSTANCE}=${this.runtime.instance}`, `${LABEL_KIND}=process`],
    };
    const stream = (await this.runtime.call(() => this.runtime.docker.getEvents({ filters }))) as unknown as Readable;
    this.events = stream;
    const lines = new LineSplitter((raw) => {
      let ev: { Action?: string; id?: string; Actor?: { Attributes?: Record<string, string> } };
      try {
        ev = JSON.parse(raw) as typeof ev;
      } catch {
        return; // partial event line
      }
      const id = (ev.id ?? '').slice(0, 12);
      const attrs = ev.Actor?.Attributes ?? {};
      if (ev.Action === 'kill') this.stopping.add(id);
      if (ev.Action === 'die') this.onExit(id, attrs);
      void this.sync();
    });
    stream.on('data', (chunk: Buffer) => lines.push(chunk));
    stream.on('error', () => undefined); // the engine went away: polling carries on, and re-list finds new containers
  }

  private onExit(id: string, attrs: Record<string, string>): void {
    const app = attrs[LABEL_APP];
    if (!app) return;
    const proc = `${attrs[LABEL_PROCESS] ?? 'process'}.${attrs[LABEL_INDEX] ?? '1'}`;
    const code = attrs.exitCode ?? '?';
    const stopped = this.stopping.delete(id);
    const msg = stopped ? `Stopped (exit code ${code})` : `Process exited with status ${code}; state changed from up to crashed`;
    this.hub.append(app, [{ t: new Date().toISOString(), s: 'yb', p: proc, m: msg }]);
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
    const containers = await this.runtime.list({ [LABEL_KIND]: 'process' });
    const live = new Set<string>();
    for (const c of containers) {
      const id = c.id.slice(0, 12);
      live.add(id);
      if (this.following.has(id)) continue;
      const running = c.state === 'running';
      if (!running && this.drained.has(`${id}:${c.state}`)) continue;
      const app = c.labels[LABEL_APP];
      if (!app) continue;
      const proc = `${c.labels[LABEL_PROCESS] ?? 'process'}.${c.labels[LABEL_INDEX] ?? '1'}`;
      await this.follow(c.id, id, app, proc, running, c.state);
    }
    for (const key of this.drained) if (!live.has(key.split(':')[0]!)) this.drained.delete(key);
  }

  private async follow(fullId: string, id: string, app: string, proc: string, running: boolean, state: string): Promise<void> {
    const cursor = this.cursors.get(id);
    const container = this.runtime.docker.getContainer(fullId);
    let raw: Readable;
    try {
      raw = (await container.logs({
        follow: true as const,
        stdout: true,
        stderr: true,
        timestamps: true,
        since: cursor ? sinceSeconds(cursor) : 0,
      })) as unknown as Readable;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 404) this.log.warn({ err, container: id }, 'following container output failed');
      return;
    }
    const merged = new PassThrough();
    container.modem.demuxStream(raw, merged, merged);
    raw.on('end', () => merged.end());
    raw.on('error', () => merged.end());
    this.following.set(id, { stream: raw });
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
