// A timer that fires just past the start of every UTC minute, for the schedulers that read five-field schedules
// (cron jobs, scheduled service backups; docs/architecture.md §5.1, §5.4). The next minute is armed only after the
// handler settles, so ticks of one scheduler never overlap.
import { minuteOf } from './schedule.js';

const MINUTE = 60_000;

export class MinuteTicker {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly onMinute: (minute: number) => Promise<void>,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    if (this.stopped) return;
    const wait = minuteOf(this.now()) + MINUTE - this.now() + 50; // just past the minute's start
    this.timer = setTimeout(() => void this.onMinute(minuteOf(this.now())).finally(() => this.start()), wait);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
