// The deploy spine: receive → build → release → roll out → route. Every change that makes a release
// (push, config change, rollback) and an app's destruction go through here, one at a time per app. Each step
// lives in its component.
import type { Readable } from 'node:stream';
import type { BuildService } from '../build/build-service.js';
import type { AppRecords, ReleaseRecord, AppRecord } from '../release/app-records.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { applyConfigPatch, describeConfigChange, type ConfigVars } from '../release/config-vars.js';
import { EMPTY_MANIFEST, type DeployManifest } from '../release/app-json.js';
import type { FormationRecord } from '../release/app-records.js';
import { checkProcessType } from '../release/names.js';
import { parseSize } from '../scheduler/sizes.js';
import { YbError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { platformEvent } from '../logs/platform-events.js';
import { ReleaseImagePruner, type ManifestRemover } from './release-images.js';
import { phaseClock, type Phase, type Phases } from '../shared/phases.js';

export type Out = (line: string) => void;

/** The phases of one change so far (shared/phases.ts), and the clock that adds the next. */
interface Clock {
  phases: Phases;
  mark: (phase: Phase, at?: number) => void;
}

/** One part of destroying an app that is not the deployer's own (routes, git repository, caches, logs …). */
export interface CleanupStep {
  what: string;
  run: () => Promise<void>;
}

export class Deployer {
  private readonly queues = new Map<string, Promise<unknown>>();
  /** Times each app name was destroyed in this process: a change queued before a destroy must not reach a re-created app of that name. */
  private readonly destroyed = new Map<string, number>();

  /** Old release images go after each deploy (release-images.ts). */
  private readonly images: ReleaseImagePruner;

  constructor(
    private readonly apps: AppRecords,
    private readonly builds: BuildService,
    private readonly scheduler: Scheduler,
    private readonly log: Logger,
    retention = 10,
    registry?: ManifestRemover,
  ) {
    this.images = new ReleaseImagePruner(apps, builds, retention, registry);
  }

  /** Runs `fn` after every earlier change to the same app has finished; tells `out` when it has to wait. */
  private async serialized<T>(app: string, out: Out, fn: (clock: Clock) => Promise<T>): Promise<T> {
    const phases: Phases = {};
    const clock = { phases, mark: phaseClock(phases) };
    const before = this.queues.get(app);
    if (before) out(`Waiting for the deploy in progress on ${app} to finish…`);
    const generation = this.destroyed.get(app) ?? 0;
    const run = (before ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => {
        if ((this.destroyed.get(app) ?? 0) !== generation)
          throw new YbError('YB_ERR_APP_NOT_FOUND', `${app} was destroyed while this change waited for its turn`);
        clock.mark('queue');
        return fn(clock);
      });
    this.queues.set(app, run);
    try {
      return await run;
    } finally {
      if (this.queues.get(app) === run) this.queues.delete(app);
    }
  }

  /** Runs `fn` in the app's queue, never beside a deploy or other change of it (e.g. reconciling after a runtime gap). */
  exclusive<T>(app: string, fn: () => Promise<T>): Promise<T> {
    return this.serialized(app, () => undefined, fn);
  }

  /** Whether a deploy or other change of the app is running or queued (the autoscaler waits for a quiet moment). */
  busy(app: string): boolean {
    return this.queues.has(app);
  }

  /** git push / source upload: build, release, roll out. */
  async deploySource(req: { app: string; source: Readable; commit?: string; user: string; signal?: AbortSignal }, out: Out): Promise<ReleaseRecord> {
    return this.serialized(req.app, out, async (clock) => {
      const app = await this.apps.requireApp(req.app);
      let config = await this.apps.getConfig(app.name);
      const access = { ownsImage: (id: string) => this.teamOwnsImage(app.team, id), incarnation: app.incarnation };
      const slot = { team: app.team, signal: req.signal }; // build slots are shared fairly between teams (docs/architecture.md §4.3)
      const build = await this.builds.build(
        { app: app.name, source: req.source, sourceCommit: req.commit, config, user: req.user, buildpack: app.buildpack, access, ...slot },
        out,
      );
      if (!build.imageId || !build.image) throw new YbError('YB_ERR_BUILD_FAILED', 'the build produced no image');
      const timing = afterBuild(clock, build.phases ?? {});
      await this.apps.images.record({ id: build.imageId, team: app.team, source: 'build', app: app.name, by: req.user });
      config = await this.applyManifestEnv(app.name, config, build.manifest);
      const release = await this.apps.createRelease({
        app: app.name,
        image: build.image,
        imageId: build.imageId,
        registryImage: build.registryImage,
        config,
        processTypes: build.processTypes,
        port: build.port,
        builder: build.builder,
        build: build.id,
        manifest: build.manifest,
        imageHealthcheck: build.imageHealthcheck,
        description: req.commit ? `Deploy ${req.commit.slice(0, 7)}` : 'Deploy',
        createdBy: req.user,
      });
      const live = await this.rollOut(app, release, out, timing);
      await this.builds.addPhases(app.name, build.id, timing.phases);
      return live;
    });
  }

  /**
   * `yb deploy:image`: releases a prebuilt local image as is (its EXPOSE gives the web port). The reference (tag,
   * digest or id prefix, which the engine all resolves) is resolved to the image id first; only an image the app's
   * team imported or built may be deployed, except by platform admins.
   */
  async deployImage(req: { app: string; image: string; user: string; admin?: boolean }, out: Out): Promise<ReleaseRecord> {
    return this.serialized(req.app, out, async (clock) => {
      const app = await this.apps.requireApp(req.app);
      const notOurs = () =>
        new YbError('YB_ERR_FORBIDDEN', `image ${req.image.slice(0, 120)} is not one your team imported or built; import it with yb images:import FILE`);
      let image;
      try {
        image = await this.builds.describeImage(req.image);
      } catch (err) {
        // For tenants a missing image reads like a foreign one, so names on the engine do not leak across teams.
        if (!req.admin && err instanceof YbError && err.code === 'YB_ERR_NOT_FOUND') throw notOurs();
        throw err;
      }
      if (!req.admin && !(await this.teamOwnsImage(app.team, image.id))) throw notOurs();
      const config = await this.apps.getConfig(app.name);
      const release = await this.apps.createRelease({
        app: app.name,
        image: req.image,
        imageId: image.id,
        config,
        processTypes: { web: '' },
        port: image.port,
        builder: 'image',
        imageHealthcheck: image.healthcheck,
        description: `Deploy image ${req.image.slice(0, 80)}`,
        createdBy: req.user,
      });
      return this.rollOut(app, release, out, clock);
    });
  }

  /**
   * `yb pipelines:promote` (docs/architecture.md §5.6): releases another app's release here as it is (the same image,
   * no rebuild) with this app's own config, through this app's queue and rollout. The caller checks that both apps
   * are in one pipeline, hence one team.
   */
  async promote(req: { app: string; source: ReleaseRecord; user: string }, out: Out): Promise<ReleaseRecord> {
    return this.serialized(req.app, out, async (clock) => {
      const app = await this.apps.requireApp(req.app);
      const from = `${req.source.app} v${req.source.version}`;
      if (!(await this.scheduler.imageAvailable(req.source, out)))
        throw new YbError('YB_ERR_RELEASE_NOT_FOUND', `the image of ${from} is no longer kept (release retention); deploy ${req.source.app} again`);
      const config = await this.applyManifestEnv(app.name, await this.apps.getConfig(app.name), req.source.manifest ?? EMPTY_MANIFEST);
      const { build: _theirs, ...fields } = pick(req.source);
      const release = await this.apps.createRelease({ ...fields, app: app.name, config, description: `Promote ${from}`, createdBy: req.user });
      return this.rollOut(app, release, out, clock);
    });
  }

  /** Whether `team` imported the image or a build of one of its apps made it (builds from before that was recorded: layout 1, docs/architecture.md §9). */
  private async teamOwnsImage(team: string, imageId: string): Promise<boolean> {
    return (await this.apps.images.get(team, imageId)) !== null;
  }

  /**
   * `yb apps:destroy`: in the app's queue, so never beside a deploy of it. Stops its processes, removes the images
   * built for it that no other app keeps, runs `cleanup` (the parts other components own), and deletes its records
   * last. Every step runs even when an earlier one failed; those failures come back as sentences (a re-created app
   * of the name clears its files again). When the records cannot be deleted it throws, and the app stays.
   */
  async destroy(appName: string, cleanup: CleanupStep[], out: Out): Promise<string[]> {
    return this.serialized(appName, out, async () => {
      const app = await this.apps.requireApp(appName);
      const failures: string[] = [];
      const step = async (what: string, run: () => Promise<void>) => {
        try {
          await run();
        } catch (err) {
          const reason = err instanceof Error ? err.message : String(err);
          failures.push(`${what} failed: ${reason}`);
          this.log.warn({ app: app.name, step: what, reason }, 'a part of destroying an app failed');
        }
      };
      await step('stopping its processes', () => this.scheduler.stopApp(app.name));
      await step('removing its images', () => this.images.prune(app, 0));
      for (const c of cleanup) await step(c.what, c.run);
      // Last and not caught: while the records stay, the app is there to destroy again.
      await this.apps.deleteApp(app.name);
      this.destroyed.set(app.name, (this.destroyed.get(app.name) ?? 0) + 1);
      return failures;
    });
  }

  /** `yb config:set/unset`: stores the config, and when the app runs, releases and rolls out the change. */
  async changeConfig(
    appName: string,
    patch: Record<string, string | null>,
    user: string,
    out: Out,
  ): Promise<{ vars: Record<string, string>; release?: ReleaseRecord }> {
    return this.serialized(appName, out, async (clock) => {
      const app = await this.apps.requireApp(appName);
      const { vars, changed } = applyConfigPatch(await this.apps.getConfig(app.name), patch);
      if (changed.length === 0) return { vars };
      await this.apps.putConfig(app.name, vars);
      const current = app.currentRelease ? await this.apps.getRelease(app.name, app.currentRelease) : null;
      if (!current) return { vars };
      const release = await this.apps.createRelease({
        ...pick(current),
        config: vars,
        description: describeConfigChange(patch),
        createdBy: user,
      });
      return { vars, release: await this.rollOut(app, release, out, clock) };
    });
  }

  /** `yb rollback [vN]`: a new release with the image and config of vN (default: the one before the current). */
  async rollback(appName: string, target: number | undefined, user: string, out: Out): Promise<ReleaseRecord> {
    return this.serialized(appName, out, async (clock) => {
      const app = await this.apps.requireApp(appName);
      if (!app.currentRelease) throw new YbError('YB_ERR_NO_RELEASE', `${app.name} has no release to roll back from`);
      const releases = (await this.apps.listReleases(app.name)).filter((r) => r.status === 'succeeded' && r.version !== app.currentRelease);
      const from = target ?? releases.filter((r) => r.version < app.currentRelease).at(-1)?.version;
      const source = from ? await this.apps.getRelease(app.name, from) : null;
      if (!source)
        throw new YbError('YB_ERR_RELEASE_NOT_FOUND', from ? `${app.name} has no release v${from}` : `${app.name} has no earlier release to roll back to`);
      if (!(await this.scheduler.imageAvailable(source, out))) {
        throw new YbError('YB_ERR_RELEASE_NOT_FOUND', `the image of v${source.version} is no longer kept (release retention); deploy again instead`);
      }
      await this.apps.putConfig(app.name, source.config);
      const release = await this.apps.createRelease({ ...pick(source), description: `Rollback to v${source.version}`, createdBy: user });
      return this.rollOut(app, release, out, clock);
    });
  }

  /**
   * `yb ps:scale`: quantities (and sizes) per process type; a size change replaces that type's processes. `guard`, when
   * given, sees the formation in the app's turn and throws to leave it as it is (the autoscaler's decision went stale).
   */
  async scale(
    appName: string,
    updates: Array<{ type: string; quantity?: number; size?: string }>,
    out: Out,
    guard?: (formation: FormationRecord[]) => Promise<void>,
  ): Promise<FormationRecord[]> {
    for (const u of updates) {
      checkProcessType(u.type);
      if (u.size !== undefined) parseSize(u.size);
      if (u.quantity !== undefined && (!Number.isInteger(u.quantity) || u.quantity < 0 || u.quantity > 100)) {
        throw new YbError('YB_ERR_BAD_REQUEST', `quantity of ${u.type} must be a whole number from 0 to 100`);
      }
    }
    return this.serialized(appName, out, async () => {
      const app = await this.apps.requireApp(appName);
      const release = await this.currentRelease(app);
      const formation = await this.scheduler.formationFor(app.name, release);
      await guard?.(formation);
      for (const u of updates) {
        const cur = formation.find((f) => f.type === u.type);
        if (!cur)
          throw new YbError('YB_ERR_BAD_REQUEST', `${app.name} has no process type "${u.type}" (it has: ${formation.map((f) => f.type).join(', ') || 'none'})`);
        const next: FormationRecord = { type: u.type, quantity: u.quantity ?? cur.quantity, ...((u.size ?? cur.size) ? { size: u.size ?? cur.size } : {}) };
        await this.apps.putFormation(app.name, next);
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
      const app = await this.apps.requireApp(appName);
      const release = await this.currentRelease(app);
      if (type && !(type in release.processTypes)) throw new YbError('YB_ERR_BAD_REQUEST', `${app.name} has no process type "${type}"`);
      platformEvent(app.name, 'deploy', `Restarting ${type ?? 'all'} processes`);
      await this.scheduler.rollout(app, release, out, type ? [type] : undefined);
    });
  }

  /** `yb ps:stop`: withdraws the app's endpoints and stops every process; it stays stopped across restarts. */
  async stop(appName: string, out: Out): Promise<void> {
    await this.serialized(appName, out, async () => {
      const app = await this.apps.requireApp(appName);
      await this.apps.updateApp(app.name, (a) => ({ ...a, stopped: true }));
      platformEvent(app.name, 'deploy', 'Stopping all processes');
      await this.scheduler.retire(app.name, () => true, out);
    });
  }

  /** `yb ps:start`: runs the current release's formation again after `ps:stop`. */
  async start(appName: string, out: Out): Promise<void> {
    await this.serialized(appName, out, async () => {
      const app = await this.apps.requireApp(appName);
      const release = await this.currentRelease(app);
      platformEvent(app.name, 'deploy', 'Starting processes');
      await this.scheduler.rollout(app, release, out);
      await this.apps.updateApp(app.name, (a) => ({ ...a, stopped: false }));
    });
  }

  /** The release `app` runs; refused when it has none yet. */
  private async currentRelease(app: AppRecord): Promise<ReleaseRecord> {
    const release = app.currentRelease ? await this.apps.getRelease(app.name, app.currentRelease) : null;
    if (!release) throw new YbError('YB_ERR_NO_RELEASE', `${app.name} has no release yet; push code first`);
    return release;
  }

  /** app.json `env`: defaults fill missing vars (stored, so `yb config` shows them); required ones must be set. */
  private async applyManifestEnv(app: string, config: ConfigVars, manifest: DeployManifest): Promise<ConfigVars> {
    const missing = manifest.requiredEnv.filter((k) => !(k in config) && !(k in manifest.envDefaults));
    if (missing.length) {
      throw new YbError('YB_ERR_DEPLOY_FAILED', `app.json requires config vars that are not set: ${missing.join(', ')}`, {
        hint: `set them with: yb config:set ${missing.map((k) => `${k}=...`).join(' ')} -a ${app}`,
      });
    }
    const defaults = Object.fromEntries(Object.entries(manifest.envDefaults).filter(([k]) => !(k in config)));
    if (Object.keys(defaults).length === 0) return config;
    const next = { ...config, ...defaults };
    await this.apps.putConfig(app, next);
    return next;
  }

  /** A one-off step in a container of the release (predeploy, release phase); a non-zero exit fails the deploy. */
  private async step(app: AppRecord, release: ReleaseRecord, title: string, command: string, out: Out): Promise<void> {
    out(`-----> ${title}: ${command}`);
    const code = await this.scheduler
      .runOneOff(app, release, command, (l) => out(`       ${l}`))
      .catch((err: unknown) => {
        if (!(err instanceof YbError)) throw err;
        throw new YbError(err.code, `${title} failed: ${err.message}; nothing was rolled out`, { cause: err });
      });
    if (code !== 0) throw new YbError('YB_ERR_DEPLOY_FAILED', `${title} failed (exit code ${code}); nothing was rolled out`);
  }

  /** Rolls `release` out and records where the time went on it (`clock`: the phases up to here, queue included). */
  private async rollOut(app: AppRecord, release: ReleaseRecord, out: Out, clock: Clock, opts: { phases?: boolean } = { phases: true }): Promise<ReleaseRecord> {
    platformEvent(app.name, 'deploy', `Release v${release.version} created by ${release.createdBy}: ${release.description}`, { deploy: 'started' });
    try {
      if (opts.phases && release.manifest?.predeploy) await this.step(app, release, 'Running predeploy', release.manifest.predeploy, out);
      if (opts.phases && release.processTypes.release) await this.step(app, release, 'Running release phase', release.processTypes.release, out);
      out(`-----> Releasing v${release.version}`);
      clock.mark('release');
      Object.assign(clock.phases, await this.scheduler.rollout(app, release, (line) => out(`       ${line}`)));
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      await this.apps.setReleaseStatus(app.name, release.version, 'failed', reason, clock.phases);
      this.log.warn({ app: app.name, release: release.version, reason }, 'rollout failed');
      platformEvent(app.name, 'deploy', `Release v${release.version} failed: ${reason}`, { deploy: 'failed' });
      if (err instanceof YbError) throw err;
      throw new YbError('YB_ERR_DEPLOY_FAILED', `deploying v${release.version} failed: ${reason}`, { cause: err });
    }
    await this.apps.setReleaseStatus(app.name, release.version, 'succeeded', undefined, clock.phases);
    await this.apps.updateApp(app.name, (a) => ({ ...a, currentRelease: release.version, stopped: false }));
    this.log.info({ app: app.name, release: release.version }, 'release is live');
    platformEvent(app.name, 'deploy', `Release v${release.version} is live`, { deploy: 'succeeded' });
    if (opts.phases && release.manifest?.postdeploy) {
      out(`-----> Running postdeploy: ${release.manifest.postdeploy}`);
      // The release is live by now: a postdeploy that fails or outlives YB_RELEASE_TIMEOUT is reported, not thrown.
      const code = await this.scheduler
        .runOneOff(app, release, release.manifest.postdeploy, (l) => out(`       ${l}`))
        .catch((err: unknown) => (err instanceof Error ? err.message : String(err)));
      if (code !== 0)
        out(`!     postdeploy ${typeof code === 'number' ? `exited with code ${code}` : `failed: ${code}`}; v${release.version} is live regardless`);
    }
    await this.images.prune(app).catch((err: unknown) => this.log.warn({ err, app: app.name }, 'pruning old release images failed'));
    return { ...release, status: 'succeeded', phases: clock.phases };
  }
}

/** The change's phases with the build's added (its slot wait to the app's queue wait), and a clock from the build's end. */
function afterBuild(clock: Clock, built: Phases): Clock {
  const phases: Phases = { ...built, queue: (clock.phases.queue ?? 0) + (built.queue ?? 0) };
  return { phases, mark: phaseClock(phases) };
}

function pick(r: ReleaseRecord) {
  return {
    app: r.app,
    image: r.image,
    imageId: r.imageId,
    registryImage: r.registryImage,
    config: r.config,
    processTypes: r.processTypes,
    port: r.port,
    builder: r.builder,
    build: r.build,
    manifest: r.manifest,
    imageHealthcheck: r.imageHealthcheck,
  };
}
