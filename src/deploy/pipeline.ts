// The deploy spine: receive → build → release → roll out → route. Every change that makes a release
// (push, config change, rollback) goes through here, one at a time per app. Each step lives in its component.
import type { Readable } from 'node:stream';
import type { BuildService } from '../build/build-service.js';
import type { ReleaseRepo, ReleaseRecord, AppRecord } from '../release/repo.js';
import type { Scheduler } from '../scheduler/rollout.js';
import { applyConfigPatch, describeConfigChange, type ConfigVars } from '../release/config-vars.js';
import type { DeployManifest } from '../release/app-json.js';
import type { FormationRecord } from '../release/repo.js';
import { checkProcessType } from '../release/names.js';
import { parseSize } from '../scheduler/sizes.js';
import { YbError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { platformEvent } from '../logs/events.js';

export type Out = (line: string) => void;

export class Deployer {
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly repo: ReleaseRepo,
    private readonly builds: BuildService,
    private readonly scheduler: Scheduler,
    private readonly log: Logger,
    private readonly retention = 10,
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
      let config = await this.repo.getConfig(app.name);
      const build = await this.builds.build({ app: app.name, source: req.source, sourceCommit: req.commit, config, user: req.user, buildpack: app.buildpack }, out);
      if (!build.imageId || !build.image) throw new YbError('YB_ERR_BUILD_FAILED', 'the build produced no image');
      config = await this.applyManifestEnv(app.name, config, build.manifest);
      const release = await this.repo.createRelease({
        app: app.name, image: build.image, imageId: build.imageId, config, processTypes: build.processTypes, port: build.port,
        builder: build.builder, build: build.id, manifest: build.manifest, dockerHealth: build.dockerHealth, description: req.commit ? `Deploy ${req.commit.slice(0, 7)}` : 'Deploy', createdBy: req.user,
      });
      return this.rollOut(app, release, out);
    });
  }

  /** `yb deploy:image`: releases a prebuilt local image as is (its EXPOSE gives the web port). */
  async deployImage(req: { app: string; image: string; user: string }, out: Out): Promise<ReleaseRecord> {
    return this.serialized(req.app, out, async () => {
      const app = await this.repo.requireApp(req.app);
      const image = await this.builds.describeImage(req.image);
      const config = await this.repo.getConfig(app.name);
      const release = await this.repo.createRelease({
        app: app.name, image: req.image, imageId: image.id, config, processTypes: { web: '' }, port: image.port, builder: 'image',
        dockerHealth: image.healthcheck, description: `Deploy image ${req.image.slice(0, 80)}`, createdBy: req.user,
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

  /** `yb ps:scale`: quantities (and sizes) per process type; a size change replaces that type's processes. */
  async scale(appName: string, updates: Array<{ type: string; quantity?: number; size?: string }>, out: Out): Promise<FormationRecord[]> {
    for (const u of updates) {
      checkProcessType(u.type);
      if (u.size !== undefined) parseSize(u.size);
      if (u.quantity !== undefined && (!Number.isInteger(u.quantity) || u.quantity < 0 || u.quantity > 100)) {
        throw new YbError('YB_ERR_BAD_REQUEST', `quantity of ${u.type} must be a whole number from 0 to 100`);
      }
    }
    return this.serialized(appName, out, async () => {
      const app = await this.repo.requireApp(appName);
      const release = app.currentRelease ? await this.repo.getRelease(app.name, app.currentRelease) : null;
      if (!release) throw new YbError('YB_ERR_NO_RELEASE', `${app.name} has no release yet; push code first`);
      const formation = await this.scheduler.formationFor(app.name, release);
      for (const u of updates) {
        const cur = formation.find((f) => f.type === u.type);
        if (!cur) throw new YbError('YB_ERR_BAD_REQUEST', `${app.name} has no process type "${u.type}" (it has: ${formation.map((f) => f.type).join(', ') || 'none'})`);
        const next: FormationRecord = { type: u.type, quantity: u.quantity ?? cur.quantity, ...(u.size ?? cur.size ? { size: u.size ?? cur.size } : {}) };
        await this.repo.putFormation(app.name, next);
        if (next.size !== cur.size) await this.scheduler.rollout(app, release, out, [u.type]);
        else await this.scheduler.scaleType(app, release, next, out);
        Object.assign(cur, next);
      }
      platformEvent(app.name, 'deploy', `Scaled to ${formation.map((f) => `${f.type}=${f.quantity}${f.size ? `:${f.size}` : ''}`).join(' ')}`);
      return formation;
    });
  }

  /** `yb ps:restart [type]`: replaces the processes (all, or of one type) with fresh ones, without downtime. */
  async restart(appName: string, type: string | undefined, out: Out): Promise<void> {
    await this.serialized(appName, out, async () => {
      const app = await this.repo.requireApp(appName);
      const release = app.currentRelease ? await this.repo.getRelease(app.name, app.currentRelease) : null;
      if (!release) throw new YbError('YB_ERR_NO_RELEASE', `${app.name} has no release yet; push code first`);
      if (type && !(type in release.processTypes)) throw new YbError('YB_ERR_BAD_REQUEST', `${app.name} has no process type "${type}"`);
      platformEvent(app.name, 'deploy', `Restarting ${type ?? 'all'} processes`);
      await this.scheduler.rollout(app, release, out, type ? [type] : undefined);
    });
  }

  /** `yb ps:stop`: withdraws the app's endpoints and stops every process; it stays stopped across restarts. */
  async stop(appName: string, out: Out): Promise<void> {
    await this.serialized(appName, out, async () => {
      const app = await this.repo.requireApp(appName);
      await this.repo.updateApp(app.name, (a) => ({ ...a, stopped: true }));
      platformEvent(app.name, 'deploy', 'Stopping all processes');
      await this.scheduler.retire(app.name, () => true, out);
    });
  }

  /** `yb ps:start`: runs the current release's formation again after `ps:stop`. */
  async start(appName: string, out: Out): Promise<void> {
    await this.serialized(appName, out, async () => {
      const app = await this.repo.requireApp(appName);
      const release = app.currentRelease ? await this.repo.getRelease(app.name, app.currentRelease) : null;
      if (!release) throw new YbError('YB_ERR_NO_RELEASE', `${app.name} has no release yet; push code first`);
      platformEvent(app.name, 'deploy', 'Starting processes');
      await this.scheduler.rollout(app, release, out);
      await this.repo.updateApp(app.name, (a) => ({ ...a, stopped: false }));
    });
  }

  /** Removes images of releases beyond the retention count (never the current one); only images we built. */
  private async pruneImages(app: string): Promise<void> {
    const releases = (await this.repo.listReleases(app)).sort((a, b) => b.version - a.version);
    const kept = new Set(releases.slice(0, this.retention).map((r) => r.imageId));
    const doomed = new Set(releases.slice(this.retention).map((r) => r.imageId).filter((id) => !kept.has(id)));
    for (const id of doomed) await this.builds.removeImage(id);
  }

  /** app.json `env`: defaults fill missing vars (stored, so `yb config` shows them); required ones must be set. */
  private async applyManifestEnv(app: string, config: ConfigVars, manifest: DeployManifest): Promise<ConfigVars> {
    const missing = manifest.requiredEnv.filter((k) => !(k in config) && !(k in manifest.envDefaults));
    if (missing.length) {
      throw new YbError('YB_ERR_DEPLOY_FAILED', `app.json requires config vars that are not set: ${missing.join(', ')}`, { hint: `set them with: yb config:set ${missing.map((k) => `${k}=...`).join(' ')} -a ${app}` });
    }
    const defaults = Object.fromEntries(Object.entries(manifest.envDefaults).filter(([k]) => !(k in config)));
    if (Object.keys(defaults).length === 0) return config;
    const next = { ...config, ...defaults };
    await this.repo.putConfig(app, next);
    return next;
  }

  /** A one-off step in a container of the release (predeploy, release phase); a non-zero exit fails the deploy. */
  private async step(app: AppRecord, release: ReleaseRecord, title: string, command: string, out: Out): Promise<void> {
    out(`-----> ${title}: ${command}`);
    const code = await this.scheduler.runOneOff(app, release, command, (l) => out(`       ${l}`)).catch((err: unknown) => {
      if (!(err instanceof YbError)) throw err;
      throw new YbError(err.code, `${title} failed: ${err.message}; nothing was rolled out`, { cause: err });
    });
    if (code !== 0) throw new YbError('YB_ERR_DEPLOY_FAILED', `${title} failed (exit code ${code}); nothing was rolled out`);
  }

  private async rollOut(app: AppRecord, release: ReleaseRecord, out: Out, opts: { phases?: boolean } = { phases: true }): Promise<ReleaseRecord> {
    platformEvent(app.name, 'deploy', `Release v${release.version} created by ${release.createdBy}: ${release.description}`, { deploy: 'started' });
    try {
      if (opts.phases && release.manifest?.predeploy) await this.step(app, release, 'Running predeploy', release.manifest.predeploy, out);
      if (opts.phases && release.processTypes.release) await this.step(app, release, 'Running release phase', release.processTypes.release, out);
      out(`-----> Releasing v${release.version}`);
      await this.scheduler.rollout(app, release, (line) => out(`       ${line}`));
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      await this.repo.setReleaseStatus(app.name, release.version, 'failed', reason);
      this.log.warn({ app: app.name, release: release.version, reason }, 'rollout failed');
      platformEvent(app.name, 'deploy', `Release v${release.version} failed: ${reason}`, { deploy: 'failed' });
      if (err instanceof YbError) throw err;
      throw new YbError('YB_ERR_DEPLOY_FAILED', `deploying v${release.version} failed: ${reason}`, { cause: err });
    }
    await this.repo.setReleaseStatus(app.name, release.version, 'succeeded');
    await this.repo.updateApp(app.name, (a) => ({ ...a, currentRelease: release.version, stopped: false }));
    this.log.info({ app: app.name, release: release.version }, 'release is live');
    platformEvent(app.name, 'deploy', `Release v${release.version} is live`, { deploy: 'succeeded' });
    if (opts.phases && release.manifest?.postdeploy) {
      out(`-----> Running postdeploy: ${release.manifest.postdeploy}`);
      // The release is live by now: a postdeploy that fails or outlives YB_RELEASE_TIMEOUT is reported, not thrown.
      const code = await this.scheduler.runOneOff(app, release, release.manifest.postdeploy, (l) => out(`       ${l}`)).catch((err: unknown) => (err instanceof Error ? err.message : String(err)));
      if (code !== 0) out(`!     postdeploy ${typeof code === 'number' ? `exited with code ${code}` : `failed: ${code}`}; v${release.version} is live regardless`);
    }
    await this.pruneImages(app.name).catch((err: unknown) => this.log.warn({ err, app: app.name }, 'pruning old release images failed'));
    return { ...release, status: 'succeeded' };
  }
}

function pick(r: ReleaseRecord) {
  return {
    app: r.app, image: r.image, imageId: r.imageId, config: r.config, processTypes: r.processTypes, port: r.port, builder: r.builder, build: r.build,
    manifest: r.manifest, dockerHealth: r.dockerHealth,
  };
}
