// A counting semaphore for builds: at most N run at once across apps; the rest wait in arrival order.
export class Slots {
  private running = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(private readonly size: number) {}

  get inUse(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiters.length;
  }

  /** Resolves when a slot is free; `onWait` is told once when the caller has to queue. */
  async acquire(onWait?: (ahead: number) => void): Promise<() => void> {
    if (this.running >= Math.max(1, this.size)) {
      onWait?.(this.waiters.length + 1);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    } else this.running++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.running--;
    };
  }
}
