// Runs the app.json `cron` jobs of every app's current release (docs/architecture.md §5.1): at the start of each UTC
// minute, each job whose schedule names it runs as a one-off of the release with the app's config (the release
// phase's path: Scheduler.runOneOff), its output in the app's log as `app[cron.<id>]` and its outcome (exit code,
// duration) kept in `apps/<app>/cron/<id>`. A job still running is not started again. Minutes that passed while no
// runner ran (the platform was down) are counted per job and reported, not run late.
import type { Store } from '../store/store.js';
import type { AppRecord, AppRecords, ReleaseRecord } from '../release/app-records.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { Logger } from '../shared/logger.js';
import { platformEvent } from '../logs/platform-events.js';
import { YbError } from '../shared/errors.js';
import { MinuteTicker } from './minute-ticker.js';
import { minuteOf, nextRun, parseSchedule, runsAt, runsBetween, type Schedule } from './schedule.js';
import type { CronJob } from './jobs.js';

/** One run of a job, as kept and shown. */
export interface CronRun {
  trigger: 'schedule' | 'manual';
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  /** null while running, or when the run could not start (see `error`). */
  exitCode: number | null;
  status: 'running' | 'succeeded' | 'failed';
  error?: string;
}

/** `apps/<app>/cron/<id>`. */
export interface CronState {
  last?: CronRun;
  /** Runs that fell while the platform was down, last counted at start. */
  missed?: { count: number; last: string; noticedAt: string };
  /** Runs skipped because the previous one was still going. */
  skipped?: number;
}

export interface CronJobView extends CronJob {
  next: string | null;
  running: boolean;
  state: CronState;
}

export interface CronDeps {
  store: Store;
  apps: AppRecords;
  scheduler: Scheduler;
  log: Logger;
  /** Appends the run's output to the app's log (`app[cron.<id>]`). */
  output: (app: string, proc: string, lines: string[]) => void;
}

export class CronRunner {
  private readonly running = new Map<string, Promise<void>>();
  private readonly ticker: MinuteTicker;

  constructor(
    private readonly deps: CronDeps,
    private readonly now: () => number = Date.now,
  ) {
    this.ticker = new MinuteTicker((minute) => this.tick(minute), now);
  }

  /** Counts what was missed since the last runner's minute, then ticks at the start of every minute. */
  async start(): Promise<void> {
    await this.countMissed().catch((err: unknown) => this.deps.log.warn({ err }, 'counting missed cron runs failed'));
    this.ticker.start();
  }

  /** Stops ticking; runs in progress finish (their one-offs have their own time limit). */
  stop(): void {
    this.ticker.stop();
  }

  private async tick(minute: number): Promise<void> {
    try {
      await this.deps.store.put(this.deps.store.keys.cronClock(), { minute: new Date(minute).toISOString() });
      for (const { app, release, jobs } of await this.jobsOfAllApps()) {
        for (const { job, schedule } of jobs) if (runsAt(schedule, new Date(minute))) this.launch(app, release, job, 'schedule');
      }
    } catch (err) {
      this.deps.log.warn({ err }, 'a cron tick failed; the next minute tries again');
    }
  }

  private async jobsOfAllApps(): Promise<Array<{ app: AppRecord; release: ReleaseRecord; jobs: Array<{ job: CronJob; schedule: Schedule }> }>> {
    const out = [];
    const apps = (await this.deps.apps.listApps()).filter((a) => !a.stopped && a.currentRelease);
    // Every current release in a few reads, not one per app each minute (issue #21).
    const releases = await this.deps.apps.getReleases(apps.map((a) => ({ app: a.name, version: a.currentRelease })));
    for (const [i, app] of apps.entries()) {
      const release = releases[i];
      const jobs = (release?.manifest?.cron ?? []).flatMap((job) => {
        const schedule = parseSchedule(job.schedule);
        return 'error' in schedule ? [] : [{ job, schedule }];
      });
      if (release && jobs.length) out.push({ app, release, jobs });
    }
    return out;
  }

  /** The jobs of an app's current release with their next run and last outcome. */
  async list(appName: string): Promise<CronJobView[]> {
    const app = await this.deps.apps.requireApp(appName);
    const release = await this.deps.apps.getRelease(app.name, app.currentRelease);
    const views: CronJobView[] = [];
    for (const job of release?.manifest?.cron ?? []) {
      const schedule = parseSchedule(job.schedule);
      const next = 'error' in schedule || app.stopped ? null : nextRun(schedule, this.now());
      const state = (await this.deps.store.get<CronState>(this.deps.store.keys.cronJob(app.name, job.id))) ?? {};
      views.push({ ...job, next: next === null ? null : new Date(next).toISOString(), running: this.running.has(`${app.name}/${job.id}`), state });
    }
    return views;
  }

  /** `yb cron:run ID`: starts the job now (not waiting for it); refused while it runs. */
  async runNow(appName: string, id: string): Promise<CronJob> {
    const app = await this.deps.apps.requireApp(appName);
    const release = await this.deps.apps.getRelease(app.name, app.currentRelease);
    const job = release?.manifest?.cron?.find((j) => j.id === id);
    if (!release || !job) throw new YbError('YB_ERR_NOT_FOUND', `${app.name} has no cron job ${id.slice(0, 20)} in its current release (see yb cron)`);
    if (this.running.has(`${app.name}/${id}`)) throw new YbError('YB_ERR_CONFLICT', `cron job ${id} of ${app.name} is still running`);
    this.launch(app, release, job, 'manual');
    return job;
  }

  private launch(app: AppRecord, release: ReleaseRecord, job: CronJob, trigger: CronRun['trigger']): void {
    const key = `${app.name}/${job.id}`;
    if (this.running.has(key)) {
      void this.noteSkipped(app.name, job);
      return;
    }
    const run = this.run(app, release, job, trigger).finally(() => this.running.delete(key));
    this.running.set(key, run);
  }

  private async run(app: AppRecord, release: ReleaseRecord, job: CronJob, trigger: CronRun['trigger']): Promise<void> {
    const { store, scheduler, log } = this.deps;
    const key = store.keys.cronJob(app.name, job.id);
    const started = this.now();
    const record: CronRun = { trigger, startedAt: new Date(started).toISOString(), exitCode: null, status: 'running' };
    const save = async () => {
      const state = (await store.get<CronState>(key)) ?? {};
      await store.put(key, { ...state, last: record } satisfies CronState);
    };
    try {
      await save();
      platformEvent(app.name, 'cron', `Running cron job ${job.id} (${trigger === 'manual' ? 'by hand' : job.schedule}) of v${release.version}: ${job.command}`);
      const code = await scheduler.runOneOff(app, release, job.command, (line) => this.deps.output(app.name, `cron.${job.id}`, [line]));
      Object.assign(record, { exitCode: code, status: code === 0 ? 'succeeded' : 'failed' });
    } catch (err) {
      Object.assign(record, { status: 'failed', error: (err as Error).message.slice(0, 500) });
      log.warn({ err, app: app.name, job: job.id }, 'a cron job could not run');
    }
    record.finishedAt = new Date(this.now()).toISOString();
    record.durationMs = this.now() - started;
    platformEvent(
      app.name,
      'cron',
      `Cron job ${job.id} ${record.status === 'succeeded' ? 'succeeded' : 'failed'}${record.exitCode === null ? `: ${record.error ?? 'no exit code'}` : ` with exit code ${record.exitCode}`} after ${(record.durationMs / 1000).toFixed(1)} s`,
    );
    await save().catch((err: unknown) => log.warn({ err, app: app.name, job: job.id }, 'recording a cron run failed'));
  }

  private async noteSkipped(app: string, job: CronJob): Promise<void> {
    const key = this.deps.store.keys.cronJob(app, job.id);
    const state = (await this.deps.store.get<CronState>(key)) ?? {};
    await this.deps.store.put(key, { ...state, skipped: (state.skipped ?? 0) + 1 } satisfies CronState);
    platformEvent(app, 'cron', `Cron job ${job.id} skipped: its previous run is still going`);
  }

  /** Runs that fell between the last runner's minute and now, reported per job (at most 10,000 counted). */
  private async countMissed(): Promise<void> {
    const { store } = this.deps;
    const clock = await store.get<{ minute: string }>(store.keys.cronClock());
    const since = clock ? Date.parse(clock.minute) : Number.NaN;
    const until = minuteOf(this.now()); // the first tick is the next minute's: this one is gone too
    if (!Number.isFinite(since) || until <= since) return;
    for (const { app, jobs } of await this.jobsOfAllApps()) {
      for (const { job, schedule } of jobs) {
        const { count, last } = runsBetween(schedule, since, until);
        if (count === 0 || last === null) continue;
        const key = store.keys.cronJob(app.name, job.id);
        const state = (await store.get<CronState>(key)) ?? {};
        const missed = { count, last: new Date(last).toISOString(), noticedAt: new Date(this.now()).toISOString() };
        await store.put(key, { ...state, missed } satisfies CronState);
        platformEvent(
          app.name,
          'cron',
          `Cron job ${job.id} missed ${count} run${count === 1 ? '' : 's'} while the platform was down (the last at ${missed.last}); they are not run late`,
        );
      }
    }
  }
}
