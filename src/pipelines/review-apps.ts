// Review apps (docs/architecture.md §5.6): a push of a branch other than main/master to a pipeline's review parent
// makes (or redeploys) the app `<parent>-<branch>` in the pipeline's team, with app.json `environments.review`'s
// config and services; deleting the branch, `yb reviewapps:destroy` or the pipeline's idle time destroys it with
// its services. Builds and rollouts go through the deployer like any push; apps are made and destroyed through the
// callbacks the API gives, so a review app is made and cleaned up exactly like one from `yb apps:create`.
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { AppRecords, AppRecord, ReleaseRecord } from '../release/app-records.js';
import type { Deployer, Out } from '../deploy/pipeline.js';
import type { ServiceManager } from '../services/service-manager.js';
import type { Logger } from '../shared/logger.js';
import { YbError } from '../shared/errors.js';
import { repoPath } from '../git/repos.js';
import { isIdle, type PipelineRecords, type ReviewAppRecord } from './pipeline-records.js';
import type { PipelineRecord } from './stages.js';
import { checkBranch, reviewAppNames } from './review-names.js';
import { parseReviewConfig } from './review-config.js';
import { archiveCommit, branchCommit, readAppJson, saveSource, type SourceFile } from './review-source.js';

export interface ReviewAppsDeps {
  records: PipelineRecords;
  apps: AppRecords;
  deployer: Deployer;
  services: ServiceManager;
  log: Logger;
  dataDir: string;
  /** Largest source tar kept for a review deploy (YB_MAX_UNPACKED_MB). */
  maxSourceBytes: number;
  /** Review apps one pipeline may have at once (YB_REVIEW_APPS_MAX). */
  maxPerPipeline: number;
  /** Makes an app as POST /apps does (its route and git repository included). */
  createApp(name: string, team: string, user: string): Promise<AppRecord>;
  /** Destroys an app as DELETE /apps/{app} does; resolves with the parts that failed. */
  destroyApp(name: string, out: Out): Promise<string[]>;
}

export class ReviewApps {
  /** One change at a time per parent and branch: two pushes of a new branch must not both make its app. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly d: ReviewAppsDeps) {}

  private serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const run = (this.queues.get(key) ?? Promise.resolve()).catch(() => undefined).then(fn);
    this.queues.set(key, run);
    return run.finally(() => {
      if (this.queues.get(key) === run) this.queues.delete(key);
    });
  }

  /** The pipeline whose review apps `parent` makes, or null (review apps off, or the app in no pipeline). */
  async pipelineOfParent(parent: string): Promise<PipelineRecord | null> {
    const p = await this.d.records.ofApp(parent);
    return p?.reviewApps?.parent === parent ? p : null;
  }

  /** The review app of `branch` in `pipeline`, if there is one. */
  async find(pipeline: string, branch: string): Promise<ReviewAppRecord | null> {
    return (await this.d.records.reviews(pipeline)).find((r) => r.branch === branch) ?? null;
  }

  /** The app a push of `branch` to `parent` deploys: its review app, or the first candidate name no other app has. */
  async nameFor(p: PipelineRecord, parent: string, branch: string): Promise<string> {
    const mine = await this.find(p.name, branch);
    if (mine) return mine.app;
    for (const name of reviewAppNames(parent, branch)) if (!(await this.d.apps.getApp(name))) return name;
    throw new YbError('YB_ERR_CONFLICT', `every review app name for branch ${branch.slice(0, 64)} is taken by another app; rename the branch`);
  }

  /** A push of `branch` to the review parent `parent`: creates its review app on the first push, then deploys the source. */
  async push(req: { parent: string; branch: string; source: Readable; commit?: string; user: string }, out: Out): Promise<ReleaseRecord> {
    const branch = checkBranch(req.branch);
    const file = await saveSource(this.d.dataDir, req.source, this.d.maxSourceBytes);
    try {
      return await this.deployFile(req.parent, branch, file, req.commit, req.user, out);
    } finally {
      await file.remove();
    }
  }

  /** `yb reviewapps:create BRANCH -p PIPELINE`: a review app from a branch already pushed to the review parent. */
  async createFromBranch(req: { pipeline: string; branch: string; user: string }, out: Out): Promise<ReleaseRecord> {
    const branch = checkBranch(req.branch);
    const p = await this.d.records.get(req.pipeline);
    const parent = p?.reviewApps?.parent;
    if (!p || !parent)
      throw new YbError(
        'YB_ERR_BAD_REQUEST',
        `review apps are not enabled on pipeline ${req.pipeline.slice(0, 64)}; run yb reviewapps:enable -p ${req.pipeline.slice(0, 64)}`,
      );
    const repo = repoPath(this.d.dataDir, parent);
    const commit = await branchCommit(repo, branch);
    if (!commit) throw new YbError('YB_ERR_NOT_FOUND', `${parent} has no branch ${branch.slice(0, 64)}; push it first (git push yb ${branch.slice(0, 64)})`);
    const file = await archiveCommit(this.d.dataDir, repo, commit, this.d.maxSourceBytes);
    try {
      return await this.deployFile(parent, branch, file, commit, req.user, out);
    } finally {
      await file.remove();
    }
  }

  private deployFile(parent: string, branch: string, file: SourceFile, commit: string | undefined, user: string, out: Out): Promise<ReleaseRecord> {
    return this.serialized(`${parent}\0${branch}`, async () => {
      const p = await this.pipelineOfParent(parent);
      if (!p) throw new YbError('YB_ERR_BAD_REQUEST', `review apps are not enabled for ${parent}; only main or master is deployed`);
      let rec = await this.find(p.name, branch);
      if (rec) {
        rec = { ...rec, lastPushAt: new Date().toISOString() };
        await this.d.records.putReview(rec);
        out(`-----> Review app ${rec.app} of branch ${branch}`);
      } else rec = await this.make(p, parent, branch, file, user, out);
      try {
        const release = await this.d.deployer.deploySource({ app: rec.app, source: createReadStream(file.path), commit, user }, out);
        // The idle clock runs from the end of the deploy too: a build longer than the idle time must not end it at once.
        await this.d.records.putReview({ ...rec, lastPushAt: new Date().toISOString() });
        return release;
      } catch (err) {
        // A review app whose first deploy failed is not left behind: the next push makes it again.
        if (!(await this.d.apps.getApp(rec.app))?.currentRelease) await this.destroyRecord(rec, user, () => undefined).catch(() => undefined);
        throw err;
      }
    });
  }

  /** Creates the review app, its config and services (app.json read first, so a bad one makes nothing). One pipeline
   * makes one at a time, so two new branches pushed at once cannot both pass its review app limit. */
  private make(p: PipelineRecord, parent: string, branch: string, file: SourceFile, user: string, out: Out): Promise<ReviewAppRecord> {
    return this.serialized(`pipeline\0${p.name}`, () => this.makeNow(p, parent, branch, file, user, out));
  }

  private async makeNow(p: PipelineRecord, parent: string, branch: string, file: SourceFile, user: string, out: Out): Promise<ReviewAppRecord> {
    const review = parseReviewConfig(await readAppJson(file));
    const count = (await this.d.records.reviews(p.name)).length;
    if (count >= this.d.maxPerPipeline)
      throw new YbError(
        'YB_ERR_CONFLICT',
        `pipeline ${p.name} already has ${count} review apps, the most allowed (YB_REVIEW_APPS_MAX); delete a branch or run yb reviewapps:destroy first`,
      );
    const name = await this.nameFor(p, parent, branch);
    for (const kind of review.services)
      if (await this.d.services.get(`${name}-${kind}`))
        throw new YbError('YB_ERR_CONFLICT', `a service named ${name}-${kind} already exists; the review app of ${branch.slice(0, 64)} cannot make its own`);
    out(`-----> Creating review app ${name} for branch ${branch} (pipeline ${p.name})`);
    await this.d.createApp(name, p.team, user);
    const now = new Date().toISOString();
    const rec: ReviewAppRecord = { app: name, pipeline: p.name, parent, branch, createdAt: now, createdBy: user, lastPushAt: now, services: [] };
    await this.d.records.putReview(rec);
    try {
      await this.d.records.update(p.name, (cur) => ({ ...cur, apps: { ...cur.apps, [name]: 'review' } }));
      if (Object.keys(review.env).length) {
        out(`-----> Setting ${Object.keys(review.env).join(', ')} (app.json environments.review)`);
        await this.d.deployer.changeConfig(name, review.env, user, out);
      }
      for (const kind of review.services) {
        const service = `${name}-${kind}`;
        out(`-----> Creating ${kind} service ${service}`);
        rec.services.push(service);
        await this.d.records.putReview(rec);
        await this.d.services.create({ kind, name: service, team: p.team, user }, out);
        await this.d.services.link({ name: service, app: name, user }, out);
      }
    } catch (err) {
      await this.destroyRecord(rec, user, () => undefined).catch(() => undefined);
      throw err;
    }
    return rec;
  }

  /** `git push yb :branch`: destroys the branch's review app, if it has one; says what happened. */
  async deleteBranch(req: { parent: string; branch: string; user: string }, out: Out): Promise<void> {
    const p = await this.pipelineOfParent(req.parent);
    const rec = p ? await this.find(p.name, req.branch) : null;
    if (!rec) return out(`Deleted ${req.branch.slice(0, 255)}; it had no review app.`);
    await this.serialized(`${req.parent}\0${req.branch}`, () => this.destroyRecord(rec, req.user, out));
  }

  /** Destroys a review app (by its app name) and its services. */
  async destroy(app: string, user: string, out: Out): Promise<ReviewAppRecord> {
    const rec = await this.d.records.review(app);
    if (!rec) throw new YbError('YB_ERR_NOT_FOUND', `${app.slice(0, 64)} is not a review app`);
    await this.serialized(`${rec.parent}\0${rec.branch}`, () => this.destroyRecord(rec, user, out));
    return rec;
  }

  private async destroyRecord(rec: ReviewAppRecord, user: string, out: Out): Promise<void> {
    out(`-----> Destroying review app ${rec.app} of branch ${rec.branch}`);
    // The app first: its processes stop, and its links become stale, so destroying the services makes no release.
    if (await this.d.apps.getApp(rec.app)) {
      const failures = await this.d.destroyApp(rec.app, out);
      for (const f of failures) out(`!     ${f}`);
    }
    for (const s of rec.services) {
      if (!(await this.d.services.get(s))) continue;
      out(`-----> Destroying service ${s}`);
      await this.d.services.destroy({ name: s, force: true, user }, out);
    }
    await this.d.records.uncouple(rec.app);
    await this.d.records.deleteReview(rec.app);
    this.d.log.info({ app: rec.app, branch: rec.branch, pipeline: rec.pipeline, user }, 'review app destroyed');
  }

  /**
   * Destroys every review app idle past its pipeline's idle hours, and the services of review apps destroyed by
   * other means (`yb apps:destroy`, which leaves the record for this); returns their names.
   */
  async sweep(now = Date.now()): Promise<string[]> {
    const pipelines = new Map((await this.d.records.list()).map((p) => [p.name, p]));
    const gone: string[] = [];
    const due = async (r: ReviewAppRecord, at: number) => {
      const hours = pipelines.get(r.pipeline)?.reviewApps?.idleHours;
      return (hours !== undefined && isIdle(r, hours, at)) || !(await this.d.apps.getApp(r.app));
    };
    for (const rec of await this.d.records.reviews()) {
      if (!(await due(rec, now))) continue;
      try {
        await this.serialized(`${rec.parent}\0${rec.branch}`, async () => {
          // Looked at again in the queue: a push may have come meanwhile.
          const cur = await this.d.records.review(rec.app);
          if (cur && (await due(cur, Date.now()))) {
            await this.destroyRecord(cur, 'yb[review-apps]', () => undefined);
            gone.push(cur.app);
          }
        });
      } catch (err) {
        this.d.log.warn({ err, app: rec.app }, 'destroying an idle review app failed; trying again later');
      }
    }
    return gone;
  }
}
