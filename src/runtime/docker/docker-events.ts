// One Docker event stream of this instance's containers (start, die, kill) for every subscriber of the runtime's
// watch(): the process monitor and the log follower share it. A stream that ends or fails is opened again with a
// growing pause (the engine restarting is not an error of ybd's); events of the gap are not replayed, so each
// subscriber is told (onResync) once the stream is back, to re-read the state it keeps.
import type { Readable } from 'node:stream';
import { LineSplitter } from '../../shared/line-splitter.js';
import type { RuntimeEvent } from '../runtime.js';
import type { DockerEngine } from './engine.js';
import { LABEL_INSTANCE, workloadOf } from '../workload-labels.js';

const MAX_BACKOFF_MS = 5000;

interface DockerEvent {
  Action?: string;
  status?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

/** The runtime event of one Docker event line, or null for lines that are not ours to report. Pure. */
export function runtimeEvent(line: string): RuntimeEvent | null {
  let ev: DockerEvent;
  try {
    ev = JSON.parse(line) as DockerEvent;
  } catch {
    return null; // a partial or cut line
  }
  const action = ev.Action ?? ev.status;
  const id = ev.Actor?.ID ?? ev.id;
  if (!id || (action !== 'start' && action !== 'die' && action !== 'kill')) return null;
  const attrs = ev.Actor?.Attributes ?? {};
  const exit = attrs.exitCode === undefined ? undefined : Number(attrs.exitCode);
  return { action, id, workload: workloadOf(attrs), ...(exit !== undefined && Number.isFinite(exit) ? { exitCode: exit } : {}) };
}

export class DockerEvents {
  private readonly subscribers = new Set<{ onEvent: (e: RuntimeEvent) => void; onResync?: () => void }>();
  /** The stream was lost since it was last open: the next open resumes after a gap. */
  private gap = false;
  private stream: Readable | undefined;
  private opening: Promise<void> | undefined;
  private backoffMs = 250;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly engine: DockerEngine,
    private readonly instance: string,
    private readonly onProblem: (err: unknown) => void,
  ) {}

  /** Subscribes; the stream is opened with the first subscriber (rejects when the engine cannot be reached then). */
  async subscribe(onEvent: (e: RuntimeEvent) => void, onResync?: () => void): Promise<() => void> {
    const subscriber = { onEvent, onResync };
    this.subscribers.add(subscriber);
    try {
      if (!this.stream) await (this.opening ??= this.open().finally(() => (this.opening = undefined)));
    } catch (err) {
      this.subscribers.delete(subscriber);
      throw err;
    }
    return () => {
      this.subscribers.delete(subscriber);
      if (this.subscribers.size === 0) this.close();
    };
  }

  private async open(): Promise<void> {
    const filters = { type: ['container'], event: ['start', 'die', 'kill'], label: [`${LABEL_INSTANCE}=${this.instance}`] };
    const stream = (await this.engine.call(() => this.engine.docker.getEvents({ filters: JSON.stringify(filters) }))) as unknown as Readable;
    this.stream = stream;
    this.backoffMs = 250;
    const lines = new LineSplitter((line) => {
      const e = runtimeEvent(line);
      if (!e) return;
      for (const s of this.subscribers) s.onEvent(e);
    });
    stream.on('data', (chunk: Buffer) => lines.push(chunk));
    stream.on('error', (err) => this.onProblem(err));
    stream.on('close', () => {
      if (this.stream !== stream) return;
      this.stream = undefined;
      this.gap = true;
      if (this.subscribers.size > 0) this.reopen();
    });
    if (this.gap) {
      this.gap = false;
      for (const s of this.subscribers) s.onResync?.();
    }
  }

  private reopen(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.subscribers.size === 0 || this.stream) return;
      this.open().catch((err: unknown) => {
        this.onProblem(err);
        this.backoffMs = Math.min(MAX_BACKOFF_MS, this.backoffMs * 2);
        this.reopen();
      });
    }, this.backoffMs);
    this.timer.unref();
  }

  close(): void {
    clearTimeout(this.timer);
    const s = this.stream;
    this.stream = undefined;
    s?.destroy();
  }
}
