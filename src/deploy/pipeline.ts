// The deploy spine: receive → build → release → roll out → route. Every change that makes a release
// (push, config change, rollback) goes through here, one at a time per app. Each step lives in its component.
import type { Readable } from 'node:stream';
import type { BuildService } from '../build/build-service.js';
import type { ReleaseRepo, ReleaseRecord, AppRecord } from '../release/repo.js';
import type { Scheduler } from '../scheduler/rollout.js';
import { applyConfigPatch, describeConfigChange } from '../release/config-vars.js';
import { YbError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';

export type Out = (line: string) => void;

export class Deployer {
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly repo: ReleaseRepo,
    private readonly builds: BuildService,
    private readonly scheduler: Scheduler,
    private readonly log: Logger,
  ) {}

  /** Runs `fn` after every earlier change to the same app has finished; tells `out` when it has to wait. */
  private async serialized<T>(app: string, out: Out, fn: () => Promise<T>): Promise<T> {
    const before = this.queues.get(app);
    if (before) out(`Waiting for the deploy in progress on ${app} to finish…`);
    const run = (before ?? Promise.resolve()).catch(() => undefined).then(fn);
    this.queues.set(app, run);
    try {
      return await run;
    } finally {
      if (this.queues.get(app) === run) this.queues.delete(app);
    }
  }

  /** git push / source upload: build, release, roll out. */
  async deploySource(req: { app: string; source: Readable; commit?: string; user: string }, out: Out): Promise<ReleaseRecord> {
    return this.serialized(req.app, out, async () => {
      const app = await this.repo.requireApp(req.app);
      const config = await this.repo.getConfig(app.name);
      const build = await this.builds.build({ app: app.name, source: req.source, sourceCommit: req.commit, config, user: req.user, buildpack: app.buildpack }, out);
      if (!build.imageId || !build.image) throw new YbError('YB_ERR_BUILD_FAILED', 'the build produced no image');
      const release = await this.repo.createRelease({
        app: app.name, image: build.image, imageId: build.imageId, config, processTypes: build.processTypes, port: build.port,
        builder: build.builder, build: build.id, description: req.commit ? `Deploy ${req.commit.slice(0, 7)}` : 'Deploy', createdBy: req.user,
      });
      return this.rollOut(app, release, out);
    });
  }

  /** `yb config:set/unset`: stores the config, and when the app runs, releases and rolls out the change. */
  async changeConfig(appName: string, patch: Record<string, string | null>, user: string, out: Out): Promise<{ vars: Record<string, string>; release?: ReleaseRecord }> {
    return this.serialized(appName, out, async () => {
      const app = await this.repo.requireApp(appName);
      const { vars, changed } = applyConfigPatch(await this.repo.getConfig(app.name), patch);
      if (changed.length === 0) return { vars };
      await this.repo.putConfig(app.name, vars);
      const current = app.currentRelease ? await this.repo.getRelease(app.name, app.currentRelease) : null;
      if (!current) return { vars };
      const release = await this.repo.createRelease({
        ...pick(current), config: vars, description: describeConfigChange(patch), createdBy: user,
      });
      return { vars, release: await this.rollOut(app, release, out) };
    });
  }

  /** `yb rollback [vN]`: a new release with the image and config of vN (default: the one before the current). */
  async rollback(appName: string, target: number | undefined, user: string, out: Out): Promise<ReleaseRecord> {
    return this.serialized(appName, out, async () => {
      const app = await this.repo.requireApp(appName);
      if (!app.currentRelease) throw new YbError('YB_ERR_NO_RELEASE', `${app.name} has no release to roll back from`);
      const releases = (await this.repo.listReleases(app.name)).filter((r) => r.status === 'succeeded' && r.version !== app.currentRelease);
      const from = target ?? releases.filter((r) => r.version < app.currentRelease).at(-1)?.version;
      const source = from ? await this.repo.getRelease(app.name, from) : null;
      if (!source) throw new YbError('YB_ERR_RELEASE_NOT_FOUND', from ? `${app.name} has no release v${from}` : `${app.name} has no earlier release to roll back to`);
      if (!(await this.scheduler.imageAvailable(source))) {
        throw new YbError('YB_ERR_RELEASE_NOT_FOUND', `the image of v${source.version} is no longer kept (release retention); deploy again instead`);
      }
      await this.repo.putConfig(app.name, source.config);
      const release = await this.repo.createRelease({ ...pick(source), description: `Rollback to v${source.version}`, createdBy: user });
      return this.rollOut(app, release, out);
    });
  }

  private async rollOut(app: AppRecord, release: ReleaseRecord, out: Out): Promise<ReleaseRecord> {
    out(`-----> Releasing v${release.version}`);
    try {
      await this.scheduler.rollout(app, release, (line) => out(`       ${line}`));
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      await this.repo.setReleaseStatus(app.name, release.version, 'failed', reason);
      this.log.warn({ app: app.name, release: release.version, reason }, 'rollout failed');
      if (err instanceof YbError) throw err;
      throw new YbError('YB_ERR_DEPLOY_FAILED', `deploying v${release.version} failed: ${reason}`, { cause: err });
    }
    await this.repo.setReleaseStatus(app.name, release.version, 'succeeded');
    await this.repo.updateApp(app.name, (a) => ({ ...a, currentRelease: release.version }));
    this.log.info({ app: app.name, release: release.version }, 'release is live');
    return { ...release, status: 'succeeded' };
  }
}

function pick(r: ReleaseRecord) {
  return { app: r.app, image: r.image, imageId: r.imageId, config: r.config, processTypes: r.processTypes, port: r.port, builder: r.builder, build: r.build };
}
