// Where every log line of the platform goes: the per-app store, live `yb logs -t` subscribers and drains.
// Sources (container follower, router tail, platform events) only call `append`.
import type { AppLogStore } from './app-log-store.js';
import { matches, type LogFilter, type LogLine } from './line.js';

export type LogListener = (app: string, lines: LogLine[]) => void;

export class LogHub {
  private readonly subscribers = new Map<string, Set<(lines: LogLine[]) => void>>();
  private readonly listeners = new Set<LogListener>();

  constructor(readonly store: AppLogStore) {}

  append(app: string, lines: LogLine[]): void {
    if (lines.length === 0) return;
    this.store.append(app, lines);
    for (const s of this.subscribers.get(app) ?? []) s(lines);
    for (const l of this.listeners) l(app, lines);
  }

  /** The newest `n` lines of an app passing `filter`, oldest first. */
  recent(app: string, n: number, filter: LogFilter = {}): LogLine[] {
    return this.store.last(app, n, (l) => matches(l, filter));
  }

  /** Live lines of one app (for `yb logs -t`); returns the unsubscribe function. */
  subscribe(app: string, fn: (lines: LogLine[]) => void): () => void {
    let set = this.subscribers.get(app);
    if (!set) this.subscribers.set(app, (set = new Set()));
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0) this.subscribers.delete(app);
    };
  }

  /** Every line of every app (drains, metrics). */
  onLines(fn: LogListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}
