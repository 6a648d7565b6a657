// Pipelines and review apps in etcd: `workflow/pipelines/<name>` and `workflow/review-apps/<app>` (docs/architecture.md
// §3, §5.6). Under `workflow/`, which sorts after `routes/`, so their writes stay outside the routers' watch span.
// Changes are compare-and-swap loops; no deploys, no Docker.
import type { Store } from '../store/store.js';
import { YbError } from '../shared/errors.js';
import type { PipelineRecord } from './stages.js';

/** Value of `workflow/review-apps/<app>`: a review app, the branch it deploys and what it owns. */
export interface ReviewAppRecord {
  app: string;
  pipeline: string;
  parent: string;
  branch: string;
  createdAt: string;
  createdBy: string;
  /** Last push (or creation): the idle clock starts here. */
  lastPushAt: string;
  /** Services created for it from app.json `environments.review`, destroyed with it. */
  services: string[];
}

/** Whether a review app has seen no push for longer than its pipeline's idle hours. Pure. */
export function isIdle(r: ReviewAppRecord, idleHours: number, now: number): boolean {
  return now - Date.parse(r.lastPushAt) > idleHours * 3600_000;
}

/** Whether pushes of other branches to `app` make review apps (the git hook is told so per push: YB_REVIEW_APPS). */
export async function isReviewParent(store: Store, app: string): Promise<boolean> {
  return (await new PipelineRecords(store).ofApp(app))?.reviewApps?.parent === app;
}

export class PipelineRecords {
  constructor(private readonly store: Store) {}

  private pipelineKey(name: string): string {
    return this.store.keys.pipeline(name);
  }

  private reviewKey(app: string): string {
    return this.store.keys.reviewApp(app);
  }

  async get(name: string): Promise<PipelineRecord | null> {
    if (!/^[a-z0-9-]{1,64}$/.test(name)) return null;
    return this.store.get<PipelineRecord>(this.pipelineKey(name));
  }

  async list(): Promise<PipelineRecord[]> {
    return (await this.store.list<PipelineRecord>(this.store.keys.pipelinesPrefix())).map((e) => e.value);
  }

  /** The pipeline an app is coupled to, if any. */
  async ofApp(app: string): Promise<PipelineRecord | null> {
    return (await this.list()).find((p) => app in p.apps) ?? null;
  }

  async create(p: PipelineRecord): Promise<boolean> {
    return this.store.create(this.pipelineKey(p.name), p);
  }

  async update(name: string, change: (p: PipelineRecord) => PipelineRecord): Promise<PipelineRecord> {
    for (let i = 0; i < 20; i++) {
      const cur = await this.store.getEntry<PipelineRecord>(this.pipelineKey(name));
      if (!cur) throw new YbError('YB_ERR_NOT_FOUND', `no pipeline named "${name.slice(0, 64)}"`);
      const next = change(cur.value);
      if (await this.store.replace(this.pipelineKey(name), next, cur.modRevision)) return next;
    }
    throw new YbError('YB_ERR_CONFLICT', `pipeline ${name} is being changed by someone else; try again`);
  }

  async delete(name: string): Promise<void> {
    await this.store.delete(this.pipelineKey(name));
  }

  /** Drops `app` from whichever pipeline has it (an app destroyed or removed). */
  async uncouple(app: string): Promise<void> {
    const p = await this.ofApp(app);
    if (!p) return;
    await this.update(p.name, (cur) => {
      const { [app]: _gone, ...apps } = cur.apps;
      return { ...cur, apps, ...(cur.reviewApps?.parent === app ? { reviewApps: undefined } : {}) };
    });
  }

  async review(app: string): Promise<ReviewAppRecord | null> {
    if (!/^[a-z0-9-]{1,64}$/.test(app)) return null;
    return this.store.get<ReviewAppRecord>(this.reviewKey(app));
  }

  async reviews(pipeline?: string): Promise<ReviewAppRecord[]> {
    const all = (await this.store.list<ReviewAppRecord>(this.store.keys.reviewAppsPrefix())).map((e) => e.value);
    return pipeline ? all.filter((r) => r.pipeline === pipeline) : all;
  }

  async putReview(r: ReviewAppRecord): Promise<void> {
    await this.store.put(this.reviewKey(r.app), r);
  }

  async deleteReview(app: string): Promise<void> {
    await this.store.delete(this.reviewKey(app));
  }
}
