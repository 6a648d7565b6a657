// Live deploy output for second viewers (the console's app page): the output of each app's deploy in progress,
// as streamed to its pusher by deploy-stream.ts, kept in memory (bounded) and fanned out to watchers. Knows nothing
// of HTTP; the stored build log (builds/<id>.log) stays the complete record.

/** One event of a deploy as watchers see it. */
export type DeployEvent = { type: 'start'; at: string } | { type: 'line'; text: string } | { type: 'end'; ok: boolean };

type Watcher = (e: DeployEvent) => void;

/** Lines (and bytes: tenant lines may be 64 KiB each) of one deploy kept for a watcher that arrives mid-deploy; later ones are still sent live. */
export const REPLAY_LINES = 2000;
export const REPLAY_BYTES = 1024 * 1024;

interface Current {
  events: DeployEvent[];
  bytes: number;
  dropped: number;
}

export class DeployWatch {
  private readonly current = new Map<string, Current>();
  private readonly watchers = new Map<string, Set<Watcher>>();

  /** Marks the start of a deploy of `app`; returns the functions its output and outcome go through. */
  begin(app: string): { line: (text: string) => void; end: (ok: boolean) => void } {
    const cur: Current = { events: [], bytes: 0, dropped: 0 };
    this.current.set(app, cur);
    const emit = (e: DeployEvent) => {
      const size = e.type === 'line' ? e.text.length : 0;
      if (cur.events.length < REPLAY_LINES && cur.bytes + size <= REPLAY_BYTES) {
        cur.events.push(e);
        cur.bytes += size;
      } else cur.dropped++;
      for (const w of this.watchers.get(app) ?? []) w(e);
    };
    emit({ type: 'start', at: new Date().toISOString() });
    return {
      line: (text) => emit({ type: 'line', text }),
      end: (ok) => {
        emit({ type: 'end', ok });
        if (this.current.get(app) === cur) this.current.delete(app);
      },
    };
  }

  /** Sends the deploy in progress (if any) to `w`, then every event of this and later deploys; returns the unsubscribe. */
  watch(app: string, w: Watcher): () => void {
    const cur = this.current.get(app);
    if (cur) {
      for (const e of cur.events) w(e);
      if (cur.dropped) w({ type: 'line', text: `… ${cur.dropped} earlier lines are in the build log (yb builds:output)` });
    }
    let set = this.watchers.get(app);
    if (!set) this.watchers.set(app, (set = new Set()));
    set.add(w);
    return () => {
      set.delete(w);
      if (!set.size) this.watchers.delete(app);
    };
  }

  /** Whether a deploy of `app` is streaming now. */
  inProgress(app: string): boolean {
    return this.current.has(app);
  }
}

const byOwner = new WeakMap<object, DeployWatch>();

/** The deploy watch of one control plane (keyed by its API context). */
export function deployWatchOf(owner: object): DeployWatch {
  let w = byOwner.get(owner);
  if (!w) byOwner.set(owner, (w = new DeployWatch()));
  return w;
}
