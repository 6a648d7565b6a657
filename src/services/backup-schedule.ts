// Scheduled and off-site service backups (docs/architecture.md §5.4): a backup run (dump, copy off-site, retention
// locally and off-site, recorded in the audit events and ybd's log), the schedules ticking at the start of each UTC
// minute (cron/schedule.ts) on the leader only (its life step runs where the control plane does), never two runs of
// one service at once, and runs that fell while no ybd ran counted and reported rather than run late (as cron does).
// Setting a schedule or a store, and restoring from the store when the local file is gone.
import type { Store } from '../store/store.js';
import type { Logger } from '../shared/logger.js';
import { YbError } from '../shared/errors.js';
import { recordEvent } from '../auth/audit.js';
import { MinuteTicker } from '../cron/minute-ticker.js';
import { minuteOf, nextRun, parseSchedule, runsAt, runsBetween } from '../cron/schedule.js';
import type { ServiceManager } from './service-manager.js';
import type { BackupInfo } from './backups.js';
import { BackupPlans, type BackupPlan, type BackupRun, type BackupRuns } from './backup-plan.js';
import { checkEndpoint, type OffsiteCopies, parseTarget, targetUrl } from './offsite.js';

export interface BackupResult extends BackupInfo {
  offsite: { copied: boolean; key?: string; error?: string };
  pruned: { local: string[]; offsite: string[] };
}

/** What `services:backups` and `services:info` show of a plan: never the keys. */
export interface PlanView {
  schedule: string | null;
  keep: number;
  next: string | null;
  offsite: { endpoint: string; region: string; to: string } | null;
  runs: BackupRuns;
}

export class ServiceBackups {
  readonly plans: BackupPlans;
  private readonly running = new Set<string>();
  private readonly ticker: MinuteTicker;

  constructor(
    private readonly store: Store,
    private readonly manager: ServiceManager,
    private readonly offsite: OffsiteCopies,
    private readonly defaultKeep: number,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.plans = new BackupPlans(store);
    this.ticker = new MinuteTicker((minute) => this.tick(minute), now);
  }

  async view(service: string): Promise<PlanView> {
    const plan = await this.plans.get(service);
    const parsed = plan.schedule ? parseSchedule(plan.schedule.expr) : null;
    const next = parsed && !('error' in parsed) ? nextRun(parsed, this.now()) : null;
    return {
      schedule: plan.schedule?.expr ?? null,
      keep: plan.schedule?.keep ?? this.defaultKeep,
      next: next === null ? null : new Date(next).toISOString(),
      offsite: plan.offsite ? { endpoint: plan.offsite.endpoint, region: plan.offsite.region, to: targetUrl(plan.offsite) } : null,
      runs: await this.plans.runs(service),
    };
  }

  /** `services:backups:schedule NAME EXPR --keep N [--to s3://…]`; a target needs the store's keys first. */
  async setSchedule(service: string, req: { expr: string; keep: number; to?: string; user: string }): Promise<PlanView> {
    const s = await this.provisioned(service);
    const parsed = parseSchedule(req.expr);
    if ('error' in parsed) throw new YbError('YB_ERR_BAD_REQUEST', parsed.error);
    if (!Number.isInteger(req.keep) || req.keep < 1 || req.keep > 1000) throw new YbError('YB_ERR_BAD_REQUEST', '--keep is a whole number from 1 to 1000');
    const target = req.to === undefined ? undefined : parseTarget(req.to);
    const plan = await this.plans.get(s.name);
    if (target) {
      const store = this.plans.offsiteOf(s.name, plan);
      if (!store)
        throw new YbError('YB_ERR_BAD_REQUEST', `${s.name} has no off-site store yet`, {
          hint: `give its endpoint and keys once: yb services:backups:remote ${s.name} ${req.to} --endpoint URL --access-key ID`,
        });
      await this.offsite.verify({ ...store, ...target }, s.name);
    }
    const at = new Date(this.now()).toISOString();
    await this.plans.update(s.name, (p) => ({
      ...p,
      schedule: { expr: req.expr.trim(), keep: req.keep, setBy: req.user, setAt: at },
      ...(target && p.offsite ? { offsite: { ...p.offsite, ...target } } : {}),
    }));
    await recordEvent(
      this.store,
      { team: s.team, user: req.user, action: 'service.backup.schedule', detail: { service: s.name, schedule: req.expr, keep: req.keep, to: req.to } },
      this.log,
    );
    return this.view(s.name);
  }

  async clearSchedule(service: string, user: string): Promise<PlanView> {
    const s = await this.manager.require(service);
    await this.plans.update(s.name, ({ schedule: _, ...rest }) => rest);
    await recordEvent(this.store, { team: s.team, user, action: 'service.backup.unschedule', detail: { service: s.name } }, this.log);
    return this.view(s.name);
  }

  /** `services:backups:remote NAME s3://bucket/prefix --endpoint URL …`: checked by listing the target, then kept sealed. */
  async setRemote(
    service: string,
    req: { to: string; endpoint: string; region: string; accessKeyId: string; secretAccessKey: string; user: string },
  ): Promise<PlanView> {
    const s = await this.provisioned(service);
    const target = parseTarget(req.to);
    const endpoint = checkEndpoint(req.endpoint);
    if (!/^[A-Za-z0-9_.-]{1,40}$/.test(req.region)) throw new YbError('YB_ERR_BAD_REQUEST', 'the region is a short name such as us-east-1');
    if (!req.accessKeyId || !req.secretAccessKey || req.accessKeyId.length > 256 || req.secretAccessKey.length > 256)
      throw new YbError('YB_ERR_BAD_REQUEST', 'give the access key id and the secret access key (at most 256 characters each)');
    const creds = { accessKeyId: req.accessKeyId, secretAccessKey: req.secretAccessKey };
    await this.offsite.verify({ endpoint, region: req.region, ...target, ...creds }, s.name);
    const at = new Date(this.now()).toISOString();
    await this.plans.update(s.name, (p) => ({
      ...p,
      offsite: { endpoint, region: req.region, ...target, setBy: req.user, setAt: at },
      credentials: this.plans.seal(s.name, creds),
    }));
    await recordEvent(
      this.store,
      { team: s.team, user: req.user, action: 'service.backup.remote', detail: { service: s.name, endpoint, to: targetUrl(target) } },
      this.log,
    );
    return this.view(s.name);
  }

  async clearRemote(service: string, user: string): Promise<PlanView> {
    const s = await this.manager.require(service);
    await this.plans.update(s.name, ({ offsite: _o, credentials: _c, ...rest }) => rest);
    await recordEvent(this.store, { team: s.team, user, action: 'service.backup.remote-off', detail: { service: s.name } }, this.log);
    return this.view(s.name);
  }

  private async provisioned(service: string) {
    const s = await this.manager.require(service);
    if (s.origin !== 'provisioned') throw new YbError('YB_ERR_BAD_REQUEST', `${s.name} is an attached external resource; the platform does not back it up`);
    return s;
  }

  /** Local backups and off-site copies of a service, merged by id, oldest first; the store's failure is a field. */
  async list(service: string): Promise<{ backups: Array<BackupInfo & { local: boolean; offsite: boolean }>; offsiteError?: string }> {
    const local = await this.manager.backups(service);
    const byId = new Map(local.map((b) => [b.id, { ...b, local: true, offsite: false }]));
    const store = this.plans.offsiteOf(service, await this.plans.get(service));
    let offsiteError: string | undefined;
    if (store) {
      try {
        for (const o of await this.offsite.list(store, service)) {
          const have = byId.get(o.id);
          if (have) have.offsite = true;
          else byId.set(o.id, { id: o.id, service, file: o.file, bytes: o.bytes, createdAt: idTime(o.id), local: false, offsite: true });
        }
      } catch (err) {
        offsiteError = (err as Error).message;
      }
    }
    return { backups: [...byId.values()].sort((a, b) => a.id.localeCompare(b.id)), offsiteError };
  }

  /**
   * One backup: the dump (the service manager's, serialised per service), then its off-site copy, then retention
   * (the schedule's keep, else YB_SERVICE_BACKUPS_KEPT) locally and off-site. A failed copy keeps the local backup
   * and is reported. Recorded as an audit event and in ybd's log.
   */
  async take(service: string, trigger: BackupRun['trigger'], user: string): Promise<BackupResult> {
    const s = await this.manager.require(service);
    const plan = await this.plans.get(s.name);
    const keep = plan.schedule?.keep ?? this.defaultKeep;
    const store = this.plans.offsiteOf(s.name, plan);
    const run: BackupRun = { trigger, startedAt: new Date(this.now()).toISOString(), status: 'running' };
    if (trigger === 'schedule') await this.plans.noteRuns(s.name, (r) => ({ ...r, last: run }));
    let result: BackupResult | undefined;
    try {
      // The dump keeps every local file until the copy is made: a failed copy must not cost the backup it would have replaced.
      const info = await this.manager.backup(s.name, Number.MAX_SAFE_INTEGER);
      result = { ...info, offsite: { copied: false }, pruned: { local: [], offsite: [] } };
      if (store) {
        try {
          result.offsite = { copied: true, key: await this.offsite.upload(store, s.name, info.file) };
          result.pruned.offsite = await this.offsite.prune(store, s.name, keep);
        } catch (err) {
          result.offsite = { copied: result.offsite.copied, key: result.offsite.key, error: (err as Error).message };
        }
      }
      // After a failed copy the newest backups exist only here: nothing is pruned until the store takes them again.
      if (!result.offsite.error) result.pruned.local = await this.manager.backupFiles.prune(s.name, keep);
      Object.assign(run, {
        status: 'succeeded',
        backup: info.id,
        offsite: !store ? 'none' : result.offsite.error ? 'failed' : 'copied',
        pruned: result.pruned,
      });
      if (result.offsite.error) run.error = result.offsite.error;
      return result;
    } catch (err) {
      Object.assign(run, { status: 'failed', error: (err as Error).message.slice(0, 500) });
      throw err;
    } finally {
      run.finishedAt = new Date(this.now()).toISOString();
      if (trigger === 'schedule')
        await this.plans.noteRuns(s.name, (r) => ({ ...r, last: run })).catch((err: unknown) => this.log.warn({ err }, 'recording a backup run failed'));
      const detail = { service: s.name, trigger, status: run.status, backup: run.backup, offsite: run.offsite, pruned: run.pruned, error: run.error };
      await recordEvent(this.store, { team: s.team, user, action: 'service.backup', detail }, this.log);
      if (run.status === 'failed' || run.offsite === 'failed') this.log.warn(detail, 'service backup run failed');
      else this.log.info(detail, 'service backed up');
    }
  }

  /** `services:restore NAME ID`: from the local file, or from the off-site copy fetched back when the local one is gone. */
  async restore(service: string, id: string): Promise<{ from: 'local' | 'offsite' }> {
    const s = await this.manager.require(service);
    let from: 'local' | 'offsite' = 'local';
    if (!(await this.manager.backups(s.name)).some((b) => b.id === id)) {
      const store = this.plans.offsiteOf(s.name, await this.plans.get(s.name));
      if (store) {
        await this.offsite.fetch(store, s.name, id);
        from = 'offsite';
      }
    }
    await this.manager.restore(s.name, id);
    return { from };
  }

  /** Counts what was missed since the last scheduler's minute, then ticks at the start of every minute. */
  async start(): Promise<void> {
    await this.countMissed().catch((err: unknown) => this.log.warn({ err }, 'counting missed backup runs failed'));
    this.ticker.start();
  }

  stop(): void {
    this.ticker.stop();
  }

  private async tick(minute: number): Promise<void> {
    try {
      const scheduled = await this.plans.scheduled();
      // The clock moves only while something is scheduled: runs are counted as missed from the later of it and the
      // schedule's own start (countMissed), so a clock left behind when nothing was scheduled misses nothing.
      if (scheduled.length) await this.store.put(this.store.keys.serviceBackupClock(), { minute: new Date(minute).toISOString() });
      for (const { service, schedule } of scheduled) {
        const parsed = parseSchedule(schedule.expr);
        if ('error' in parsed || !runsAt(parsed, new Date(minute))) continue;
        if (this.running.has(service)) {
          await this.plans.noteRuns(service, (r) => ({ ...r, skipped: (r.skipped ?? 0) + 1 }));
          this.log.warn({ service }, 'scheduled backup skipped: the previous run is still going');
          continue;
        }
        this.running.add(service);
        void this.take(service, 'schedule', 'yb-scheduler')
          .catch(() => undefined) // recorded by take()
          .finally(() => this.running.delete(service));
      }
    } catch (err) {
      this.log.warn({ err }, 'a backup schedule tick failed; the next minute tries again');
    }
  }

  private async countMissed(): Promise<void> {
    const clock = await this.store.get<{ minute: string }>(this.store.keys.serviceBackupClock());
    const clockAt = clock ? Date.parse(clock.minute) : Number.NaN;
    const until = minuteOf(this.now());
    if (!Number.isFinite(clockAt)) return;
    for (const { service, schedule } of await this.plans.scheduled()) {
      const parsed = parseSchedule(schedule.expr);
      const since = Math.max(clockAt, minuteOf(Date.parse(schedule.setAt)));
      if ('error' in parsed || until <= since) continue;
      const { count, last } = runsBetween(parsed, since, until);
      if (count === 0 || last === null) continue;
      const missed = { count, last: new Date(last).toISOString(), noticedAt: new Date(this.now()).toISOString() };
      await this.plans.noteRuns(service, (r) => ({ ...r, missed }));
      const s = await this.manager.get(service);
      if (s) await recordEvent(this.store, { team: s.team, user: 'yb-scheduler', action: 'service.backup.missed', detail: { service, ...missed } }, this.log);
      this.log.warn({ service, ...missed }, 'scheduled backups missed while the platform was down; they are not run late');
    }
  }
}

/** The time a backup id names (`20260102T030405Z-1a2b` → ISO). Pure. */
export function idTime(id: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/.exec(id);
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.000Z` : '';
}

export type { BackupPlan };
