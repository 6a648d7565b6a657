// Inactivity deadlines of the fast path's sockets, checked by one interval per process instead of a Node socket
// timeout each: those refresh a timer-list entry on every read and write, four per proxied request. Here activity
// is a number stored on the connection (`lastActive = idleClock.now`), and a tick compares it with each watched
// connection's current limit. Deadlines are never early and at most two ticks late.

/** A connection with an inactivity limit. */
export interface Watched {
  /** `idleClock.now` when the connection last read or wrote. */
  lastActive: number;
  /** Milliseconds of inactivity allowed in the connection's current state; 0: no limit. */
  idleLimitMs(): number;
  /** Called on a tick once the limit is exceeded; it is called again a limit later if the connection stays. */
  idleExceeded(): void;
}

const TICK_MS = 100;

class IdleClock {
  /** Milliseconds (performance.now) as of the last tick: cheap to read, at most one tick old. */
  now = performance.now();
  private readonly watched = new Set<Watched>();
  private timer: NodeJS.Timeout | undefined;

  watch(w: Watched): void {
    if (this.timer === undefined) this.now = performance.now(); // not ticking: `now` may be old
    w.lastActive = this.now;
    this.watched.add(w);
    this.timer ??= setInterval(() => this.tick(), TICK_MS).unref();
  }

  unwatch(w: Watched): void {
    this.watched.delete(w);
    if (this.watched.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private tick(): void {
    const now = (this.now = performance.now());
    for (const w of this.watched) {
      const limit = w.idleLimitMs();
      // `lastActive` may be up to a tick older than the activity it records: a tick more keeps deadlines from being early.
      if (limit > 0 && now - w.lastActive >= limit + TICK_MS) {
        w.lastActive = now;
        w.idleExceeded();
      }
    }
  }
}

/** The process's clock for the fast path's inactivity limits. */
export const idleClock = new IdleClock();
