// Autoscaling (docs/architecture.md §5.5): keeps the policies users set per process type in etcd and, every
// YB_AUTOSCALE_INTERVAL seconds, decides for each (decide.ts) from the router's readings the metrics sampler keeps, and
// scales through the deploy queue like `yb ps:scale` (never beside a deploy of the app, sizes unchanged). Every change
// and every "would, but" goes to `yb events` and the app's log as yb[autoscale]. Runs in the control plane, so under
// YB_HA only on the leader.
import type { Store } from '../store/store.js';
import type { AppRecord, AppRecords } from '../release/app-records.js';
import type { Deployer } from '../deploy/pipeline.js';
import type { Point } from '../metrics/series.js';
import type { Logger } from '../shared/logger.js';
import { YbError } from '../shared/errors.js';
import { platformEvent } from '../logs/platform-events.js';
import { recordEvent } from '../auth/audit.js';
import { checkPolicy, describeTarget, type AutoscalePolicy, type AutoscaleState, type PolicyRequest } from './policy.js';
import { decide, type Decision, type Metric, type Tuning } from './decide.js';

/** Who the autoscaler's events name as their user (no user name can hold a colon). */
export const AUTOSCALER_USER = 'platform:autoscaler';

export interface AutoscaleView extends AutoscalePolicy {
  /** Processes of the type now (the formation). */
  quantity: number;
  /** The metric over the window as the next evaluation would see it. */
  current: Metric;
  /** The latest evaluation, and the latest decision recorded in the events. */
  last: Decision | null;
  lastRecorded: Decision | null;
}

export interface AutoscalerDeps {
  store: Store;
  apps: AppRecords;
  deployer: Pick<Deployer, 'scale' | 'busy'>;
  /** The router readings of an app since a time (MetricsSampler.pointsOf). */
  points: (app: string, since: number) => Point[];
  log: Logger;
  tuning: Tuning;
  intervalMs: number;
  now?: () => number;
}

export class Autoscaler {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | null = null;
  private readonly now: () => number;

  constructor(private readonly deps: AutoscalerDeps) {
    this.now = deps.now ?? Date.now;
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.deps.intervalMs);
    this.timer.unref();
  }

  /** Stops evaluating; an evaluation in progress finishes (its scale is in the app's deploy queue). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.ticking;
  }

  /** One evaluation of every policy; a tick still running is not overlapped. */
  tick(): Promise<void> {
    if (this.ticking) return this.ticking;
    this.ticking = this.evaluateAll()
      .catch((err: unknown) => this.deps.log.warn({ err }, 'an autoscaling pass failed; the next one tries again'))
      .finally(() => (this.ticking = null));
    return this.ticking;
  }

  private async evaluateAll(): Promise<void> {
    const policies = await this.allPolicies();
    if (policies.size === 0) return;
    for (const app of await this.deps.apps.listApps()) {
      for (const policy of policies.get(app.name) ?? []) {
        await this.evaluate(app, policy).catch((err: unknown) =>
          this.deps.log.warn({ err, app: app.name, type: policy.type }, 'autoscaling a process type failed; the next pass tries again'),
        );
      }
    }
  }

  private async policies(app: string): Promise<AutoscalePolicy[]> {
    return (await this.deps.store.list<AutoscalePolicy>(this.deps.store.keys.autoscalePrefix(app))).map((e) => e.value);
  }

  /**
   * Every app's policies by app, in one listing of the keys under apps/ (issue #21): a read per app each tick cost a
   * thousand etcd round trips every YB_AUTOSCALE_INTERVAL on a host of a thousand apps, nearly none of them autoscaled.
   */
  private async allPolicies(): Promise<Map<string, AutoscalePolicy[]>> {
    const { store } = this.deps;
    const prefix = store.keys.appsPrefix();
    const byApp = new Map<string, AutoscalePolicy[]>();
    for (const e of await store.listWhere<AutoscalePolicy>(prefix, (rest) => /^[^/]+\/autoscale\/[^/]+$/.test(rest))) {
      const app = e.key.slice(prefix.length).split('/')[0]!;
      const list = byApp.get(app);
      if (list) list.push(e.value);
      else byApp.set(app, [e.value]);
    }
    return byApp;
  }

  private async evaluate(app: AppRecord, policy: AutoscalePolicy): Promise<void> {
    const { store, deployer, log } = this.deps;
    // A stopped app stays stopped; a deploy in progress finishes first (it may change the formation).
    if (app.stopped || !app.currentRelease || deployer.busy(app.name)) return;
    const quantity = (await this.deps.apps.getFormation(app.name)).find((f) => f.type === policy.type)?.quantity;
    if (quantity === undefined) return; // the release has no such type (yet)
    const stateKey = store.keys.autoscaleState(app.name, policy.type);
    const state = (await store.get<AutoscaleState>(stateKey)) ?? {};
    const now = this.now();
    const outcome = decide(policy, state, { quantity, points: this.deps.points(app.name, now - this.deps.tuning.windowMs), now }, this.deps.tuning);
    const { decision } = outcome;
    let next = outcome.state;
    if (decision.kind !== 'hold') {
      try {
        await deployer.scale(
          app.name,
          [{ type: policy.type, quantity: decision.to }],
          () => undefined,
          (formation) => this.stillValid(app.name, policy, quantity, formation),
        );
      } catch (err) {
        if (err instanceof YbError && err.code === 'YB_ERR_CONFLICT') return log.debug({ app: app.name, type: policy.type }, err.message);
        this.report(
          app,
          { ...decision, kind: 'hold', to: decision.from, message: `Autoscaling ${policy.type} to ${decision.to} failed: ${(err as Error).message}` },
          'failed',
        );
        throw err;
      }
      next = { ...next, lastScaledAt: new Date(this.now()).toISOString() };
    }
    if (outcome.record) this.report(app, decision, decision.kind === 'hold' ? decision.reason : decision.kind);
    // Not for a policy turned off (or an app destroyed) meanwhile: its state must not outlive it.
    if (await store.get<AutoscalePolicy>(store.keys.autoscale(app.name, policy.type))) await store.put(stateKey, next);
  }

  /** In the app's turn: the policy is the one decided on and nobody changed the quantity meanwhile. */
  private async stillValid(app: string, policy: AutoscalePolicy, quantity: number, formation: Array<{ type: string; quantity: number }>): Promise<void> {
    const now = await this.deps.store.get<AutoscalePolicy>(this.deps.store.keys.autoscale(app, policy.type));
    if (!now || now.setAt !== policy.setAt || formation.find((f) => f.type === policy.type)?.quantity !== quantity)
      throw new YbError('YB_ERR_CONFLICT', `the autoscaling decision for ${app} ${policy.type} went stale; the next pass decides again`);
  }

  private report(app: AppRecord, d: Decision, what: string): void {
    platformEvent(app.name, 'autoscale', d.message);
    this.deps.log.info({ app: app.name, type: d.type, from: d.from, to: d.to, metric: d.metric }, d.message);
    void recordEvent(
      this.deps.store,
      {
        team: app.team,
        user: AUTOSCALER_USER,
        app: app.name,
        action: `autoscale.${what}`,
        detail: { type: d.type, from: d.from, to: d.to, ...(d.wanted === undefined ? {} : { wanted: d.wanted }), metric: d.metric, message: d.message },
      },
      this.deps.log,
    );
  }

  /** `yb autoscale TYPE --min --max --p95-ms|--rps`: sets (or replaces) the policy of a type the app runs. */
  async set(app: AppRecord, type: string, req: PolicyRequest, user: string): Promise<AutoscaleView> {
    checkPolicy(type, req);
    const formation = await this.deps.apps.getFormation(app.name);
    if (!formation.some((f) => f.type === type))
      throw new YbError(
        'YB_ERR_BAD_REQUEST',
        `${app.name} has no process type "${type}" (it has: ${formation.map((f) => f.type).join(', ') || 'none; push code first'})`,
      );
    const policy: AutoscalePolicy = {
      type,
      min: req.min,
      max: req.max,
      ...(req.p95Ms === undefined ? { rps: req.rps! } : { p95Ms: req.p95Ms }),
      setAt: new Date(this.now()).toISOString(),
      setBy: user,
    };
    await this.deps.store.put(this.deps.store.keys.autoscale(app.name, type), policy);
    platformEvent(app.name, 'autoscale', `Autoscaling ${type} between ${req.min} and ${req.max} for ${describeTarget(policy)} (set by ${user})`);
    return (await this.list(app.name)).find((v) => v.type === type)!;
  }

  /** `yb autoscale:off TYPE`: the quantity stays where it is. Answers whether there was a policy. */
  async off(app: string, type: string, why: string): Promise<boolean> {
    const { store } = this.deps;
    const had = (await store.get<AutoscalePolicy>(store.keys.autoscale(app, type))) !== null;
    await store.commit([], [store.keys.autoscale(app, type), store.keys.autoscaleState(app, type)]);
    if (had) platformEvent(app, 'autoscale', `Autoscaling of ${type} turned off (${why})`);
    return had;
  }

  /** Policies of the app with the current quantity, metric and last decisions. */
  async list(app: string): Promise<AutoscaleView[]> {
    const { store } = this.deps;
    const formation = await this.deps.apps.getFormation(app);
    const now = this.now();
    const views: AutoscaleView[] = [];
    for (const policy of await this.policies(app)) {
      const state = (await store.get<AutoscaleState>(store.keys.autoscaleState(app, policy.type))) ?? {};
      const quantity = formation.find((f) => f.type === policy.type)?.quantity ?? 0;
      const { decision } = decide(policy, state, { quantity, points: this.deps.points(app, now - this.deps.tuning.windowMs), now }, this.deps.tuning);
      views.push({ ...policy, quantity, current: decision.metric, last: state.last ?? null, lastRecorded: state.lastRecorded ?? null });
    }
    return views;
  }
}
