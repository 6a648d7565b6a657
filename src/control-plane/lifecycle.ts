// The order in which the control plane's components start and stop (docs/architecture.md §2): each is a step
// `{ name, start, stop }`; steps start in order and stop in reverse, and a start that fails part-way stops what it had
// started, in reverse, before the failure goes on. Knows no component.

export interface Step<T> {
  name: string;
  start(): Promise<T> | T;
  /** Stops what start() started; given what it returned. */
  stop?(value: T): Promise<void> | void;
  /** What a start that fails later does instead of stop(), e.g. leave alone what was found running, not started. */
  undo?(value: T): Promise<void> | void;
}

interface Started {
  name: string;
  stop(): Promise<void> | void;
  undo(): Promise<void> | void;
}

export class Lifecycle {
  private readonly started: Started[] = [];
  private stopped: Promise<void> | undefined;

  /**
   * @param onStopError told of a step whose stop failed; the steps after it still stop.
   * @param undoTimeoutMs how long a failed start may spend stopping what it started before the failure goes on.
   */
  constructor(private readonly opts: { onStopError(name: string, err: unknown): void; undoTimeoutMs: number }) {}

  /** Starts one step; from now on it is stopped by stop(), or undone when the start fails later. */
  async step<T>(s: Step<T>): Promise<T> {
    const value = await s.start();
    this.started.push({ name: s.name, stop: () => s.stop?.(value), undo: () => (s.undo ?? s.stop)?.(value) });
    return value;
  }

  /** Runs a start made of steps; if anything in it throws, what it had started is undone, in reverse, and the error rethrown. */
  async starting<T>(start: () => Promise<T>): Promise<T> {
    try {
      return await start();
    } catch (err) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((r) => (timer = setTimeout(r, this.opts.undoTimeoutMs)));
      await Promise.race([this.unwind('undo'), deadline]);
      clearTimeout(timer);
      throw err;
    }
  }

  /** Stops every started step, last started first; once, however often it is called. */
  stop(): Promise<void> {
    this.stopped ??= this.unwind('stop');
    return this.stopped;
  }

  private async unwind(how: 'stop' | 'undo'): Promise<void> {
    for (const s of this.started.splice(0).reverse()) {
      try {
        await s[how]();
      } catch (err) {
        this.opts.onStopError(s.name, err);
      }
    }
  }
}
