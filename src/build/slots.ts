// Build slots: at most N builds run at once across apps; the rest wait, shared fairly between teams (one team's
// twenty pushes do not hold back another team's one), and each waiter is told its place whenever it changes.
// Knows nothing of builds themselves: callers give a team name, an abort signal and a place callback.
import { YbError } from '../shared/errors.js';

/** One build waiting for a slot. */
export interface Waiter {
  /** Arrival order (increasing). */
  seq: number;
  team: string;
}

/**
 * The order in which waiters get slots (docs/architecture.md §4.3): each team's waiters in arrival order,
 * interleaved by a per-team turn number, `running[team]` + the waiter's rank in its team; the lowest turn goes first,
 * ties by arrival. A team already running builds waits behind teams that are not, and a team that queued many
 * builds gets one turn per round, whatever it queued first. Pure.
 */
export function serviceOrder<W extends Waiter>(waiters: readonly W[], running: ReadonlyMap<string, number>): W[] {
  const rank = new Map<string, number>();
  const turns = [...waiters]
    .sort((a, b) => a.seq - b.seq)
    .map((w) => {
      const r = rank.get(w.team) ?? 0;
      rank.set(w.team, r + 1);
      return { w, turn: (running.get(w.team) ?? 0) + r };
    });
  return turns.sort((a, b) => a.turn - b.turn || a.w.seq - b.w.seq).map((t) => t.w);
}

/** A waiter's place, as shown to the pusher: builds served before it, and the slot count. */
export interface Place {
  /** Builds that get a slot before this one: those running (they free the slots) and those ahead in the queue. */
  ahead: number;
  /** 1-based place in the queue. */
  position: number;
  slots: number;
  running: number;
}

export interface AcquireOptions {
  team: string;
  /** Aborting while waiting leaves the queue and rejects; aborting after the slot was granted does nothing here. */
  signal?: AbortSignal;
  /** Told the place when the caller has to wait, and again each time it changes. */
  onPlace?: (place: Place) => void;
}

interface Entry extends Waiter {
  grant: () => void;
  onPlace?: (place: Place) => void;
  last?: number;
}

export class Slots {
  private readonly running = new Map<string, number>();
  private inUseCount = 0;
  private waiters: Entry[] = [];
  private seq = 0;
  readonly size: number;

  constructor(size: number) {
    this.size = Math.max(1, size);
  }

  get inUse(): number {
    return this.inUseCount;
  }

  get queued(): number {
    return this.waiters.length;
  }

  /** Resolves to the release function once a slot is the caller's; rejects if `signal` aborts first. */
  async acquire(opts: AcquireOptions): Promise<() => void> {
    if (opts.signal?.aborted) throw abandoned();
    if (this.inUseCount < this.size && this.waiters.length === 0) {
      this.take(opts.team);
      return this.releaser(opts.team);
    }
    await new Promise<void>((resolve, reject) => {
      const entry: Entry = {
        seq: this.seq++,
        team: opts.team,
        onPlace: opts.onPlace,
        grant: () => {
          opts.signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.waiters = this.waiters.filter((w) => w !== entry);
        reject(abandoned());
        this.tell();
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(entry);
      this.tell();
    });
    return this.releaser(opts.team);
  }

  private placeAt(i: number): Place {
    return { ahead: this.inUseCount + i, position: i + 1, slots: this.size, running: this.inUseCount };
  }

  private take(team: string): void {
    this.inUseCount++;
    this.running.set(team, (this.running.get(team) ?? 0) + 1);
  }

  private releaser(team: string): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inUseCount--;
      const n = (this.running.get(team) ?? 1) - 1;
      if (n > 0) this.running.set(team, n);
      else this.running.delete(team);
      this.dispatch();
    };
  }

  /** Grants free slots in service order, then tells the rest their new places. */
  private dispatch(): void {
    while (this.inUseCount < this.size && this.waiters.length) {
      const next = serviceOrder(this.waiters, this.running)[0]!;
      this.waiters = this.waiters.filter((w) => w !== next);
      this.take(next.team);
      next.grant();
    }
    this.tell();
  }

  private tell(): void {
    serviceOrder(this.waiters, this.running).forEach((w, i) => {
      const place = this.placeAt(i);
      if (w.last === place.ahead) return;
      w.last = place.ahead;
      w.onPlace?.(place);
    });
  }
}

function abandoned(): YbError {
  return new YbError('YB_ERR_BUILD_FAILED', 'the push was abandoned while it waited for a build slot');
}
