// The control plane's wiring (docs/architecture.md §2): every component of ybd built from the settings, each that
// holds something open a lifecycle step, started in order and stopped in reverse. One block per component; what
// ybd prints, its signals and its fatal-error messages are bin/ybd.ts's.
import { availableParallelism } from 'node:os';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatAddr, type PlatformConfig } from '../config/load.js';
import type { Logger } from '../shared/logger.js';
import { Store } from '../store/store.js';
import { startRuntime } from '../runtime/start.js';
import { ensureAdmin } from '../auth/tokens.js';
import { installSecretBox, loadSecretBox } from '../auth/secrets.js';
import { LoginThrottle } from '../auth/login-throttle.js';
import { pruneEvents } from '../auth/event-retention.js';
import { startRegistry } from '../registry/start.js';
import { detectRegistries } from '../build/registries.js';
import { BuildCachePruner } from '../build/cache-prune.js';
import { BuildService } from '../build/build-service.js';
import { AppRecords } from '../release/app-records.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { ProcessMonitor } from '../scheduler/monitor.js';
import { finishInterruptedRenames } from '../api/app-rename.js';
import { reconcileOnStart, reconcilerInQueues } from '../scheduler/reconcile.js';
import { Deployer } from '../deploy/pipeline.js';
import { createServices } from '../services/component.js';
import { startObservability } from '../metrics/observability.js';
import { buildApiServer } from '../api/server.js';
import { startCertRenewal } from '../certs/renewal.js';
import { startGitSsh } from '../git/ssh.js';
import { ensureLayout } from '../store/migrations/run.js';
import { bringBackAfterRestore } from '../ops/bring-back.js';
import { PLATFORM_VERSION } from '../shared/version.js';
import { CronRunner } from '../cron/cron-runner.js';
import { Autoscaler } from '../autoscale/autoscaler.js';
import { TemplateCatalogue } from '../templates/catalogue.js';
import { ThirdPartyCatalogues } from '../templates/third-party.js';
import { isReviewParent } from '../pipelines/pipeline-records.js';
import { Lifecycle } from './lifecycle.js';
import { etcdStep, routerStep } from './children.js';

export interface ControlPlane {
  apiUrl: string;
  dataDir: string;
  etcd: { endpoints: string[]; embedded: boolean };
  /** The image registry built images are pushed to (YB_REGISTRY_PUSH), or null. */
  registry: { url: string; embedded: boolean } | null;
  admin: { tokenFile: string; created: boolean };
  /** Stops every component, last started first; once. */
  stop(): Promise<void>;
}

/**
 * Starts the control plane. A failure part-way stops what this start launched (within 15 s) and rethrows.
 * `packageRoot` holds buildpacks/ and images/; `binDir` the router's entry point.
 */
export async function startControlPlane(cfg: PlatformConfig, log: Logger, paths: { packageRoot: string; binDir: string }): Promise<ControlPlane> {
  const life = new Lifecycle({ onStopError: (name, err) => log.warn({ err, step: name }, 'stopping failed; going on'), undoTimeoutMs: 15_000 });
  return life.starting(async () => {
    const dataDir = resolve(cfg.dataDir);
    const logDir = cfg.logDir ? resolve(cfg.logDir) : join(dataDir, 'logs');
    mkdirSync(logDir, { recursive: true, mode: 0o700 });
    const apiUrl = `http://${formatAddr(cfg.apiAddr)}`;

    // State: etcd (embedded unless YB_ETCD_ENDPOINTS), the store on it, the admin token, config sealed at rest.
    const etcd = await life.step(etcdStep(cfg, dataDir, logDir, log));
    const store = await life.step({
      name: 'store',
      start: async () => {
        const store = new Store(etcd.endpoints, cfg.etcdPrefix);
        await store.ping();
        return store;
      },
      stop: (store) => store.close(),
    });
    // The state layout before anything reads or writes state (docs/architecture.md §3): a newer one is refused as is.
    await ensureLayout(store, { by: `ybd ${PLATFORM_VERSION}`, log: log.child({ component: 'layout' }) });
    const admin = await ensureAdmin(store, dataDir);
    installSecretBox(store, await loadSecretBox(dataDir)); // config at rest is sealed with $YB_DATA_DIR/secret.key

    // The runtime backend YB_RUNTIME names (docs/architecture.md §6).
    const runtime = await life.step({
      name: 'runtime',
      start: () => startRuntime(cfg, log.child({ component: 'runtime' })),
      stop: (runtime) => runtime.close(),
    });

    // The image registry (issue #15): only when pushing is on, so single-host deploys start and deploy as before.
    const registry = !cfg.registryPush
      ? null
      : await life.step({
          name: 'registry',
          start: () => startRegistry(cfg, dataDir, logDir, runtime, log.child({ component: 'registry' })),
          stop: async (registry) => {
            await registry.images.settle();
            await registry.embedded?.stop();
          },
        });

    // Releases and the scheduler that runs them.
    const apps = new AppRecords(store);
    const scheduler = new Scheduler(
      store,
      runtime,
      {
        healthTimeoutMs: cfg.healthTimeout * 1000,
        uptimeMs: cfg.healthWait * 1000,
        stopGraceSeconds: cfg.stopGrace,
        routerConfirmTimeoutMs: cfg.routerConfirmTimeout * 1000,
        oneOffTimeoutMs: cfg.releaseTimeout * 1000,
      },
      log.child({ component: 'scheduler' }),
      registry?.images,
    );

    // Builds, with the engine's build cache kept to YB_BUILD_CACHE_MB.
    const cachePruner = await life.step({
      name: 'build-cache',
      start: () => {
        const pruner = new BuildCachePruner(runtime.images, cfg.buildCacheMiB * 1024 * 1024, log.child({ component: 'build-cache' }));
        pruner.now();
        return pruner;
      },
      stop: (pruner) => pruner.stop(),
    });
    const builds = new BuildService(store, runtime, {
      dataDir,
      buildpacksDir: cfg.buildpacksDir || join(paths.packageRoot, 'buildpacks'),
      builderImage: cfg.builderImage,
      stackImage: cfg.stackImage,
      caBundle: cfg.caBundle,
      timeoutMs: cfg.buildTimeout * 1000,
      registries: await detectRegistries({ npmRegistry: cfg.npmRegistry, pipIndex: cfg.pipIndex, goProxy: cfg.goProxy, composerRepo: cfg.composerRepo }),
      concurrency: cfg.buildConcurrency || availableParallelism(),
      memoryMiB: cfg.buildMemory,
      cpus: cfg.buildCpus,
      dockerfileBuilder: cfg.dockerfileBuilder,
      buildpackFetch: { maxBytes: cfg.buildpackFetchMiB * 1024 * 1024, timeoutMs: cfg.buildpackFetchTimeout * 1000, allowPrivate: cfg.outboundPrivate },
      afterBuild: () => cachePruner.afterBuild(),
      maxUnpackedMiB: cfg.maxUnpackedMiB,
      maxUnpackedFiles: cfg.maxUnpackedFiles,
      registry: registry?.images,
    });

    // The deploy spine, and the backing services deployed through it.
    const deployer = new Deployer(apps, builds, scheduler, log.child({ component: 'deploy' }), cfg.releaseRetention, registry?.images);
    const services = createServices(
      { store, apps, deployer, runtime, log },
      {
        dataDir,
        recipesDir: join(paths.packageRoot, 'images', 'services'),
        stackImage: cfg.stackImage,
        healthTimeoutMs: cfg.serviceHealthTimeout * 1000,
        backupRetention: cfg.serviceBackupRetention,
        outboundPrivate: cfg.outboundPrivate,
        backupPartBytes: cfg.serviceBackupPartMiB * 1024 * 1024,
      },
    );

    // App logs, drains and metrics.
    const obs = await life.step({
      name: 'observability',
      start: () => startObservability(cfg, dataDir, logDir, store, runtime, apps, log),
      stop: (obs) => obs.stop(),
    });

    // The router process, before the monitor and the reconcile write endpoints for it to confirm.
    await life.step(routerStep(cfg, etcd.endpoints, dataDir, logDir, paths.binDir, log));

    // Crashed processes restarted; after a crash of ybd, or a gap in the runtime's events, running processes adopted
    // and the formation restored (docs/architecture.md §5).
    const reconciling = { store, runtime, apps, scheduler, log: log.child({ component: 'reconcile' }) };
    await life.step({
      name: 'monitor',
      start: async () => {
        const reconcile = reconcilerInQueues(reconciling, (app, fn) => deployer.exclusive(app, fn));
        const monitor = new ProcessMonitor(store, runtime, apps, log.child({ component: 'monitor' }), cfg.healthTimeout * 1000, reconcile);
        await monitor.start();
        return monitor;
      },
      stop: (monitor) => monitor.stop(),
    });
    // After `ybd restore`: services and missing release images back before the reconcile starts the apps (§9).
    await bringBackAfterRestore({ store, apps, builds, scheduler, runtime, services: services.manager, dataDir, log: log.child({ component: 'restore' }) });
    // A rename a crash cut short is undone or finished before the reconcile adopts processes by their app's name (§3.1).
    await finishInterruptedRenames({ store, apps, deployer, scheduler, runtime, dataDir, domain: cfg.domain, log, logs: obs.logs, metrics: obs.metrics });
    await reconcileOnStart(reconciling);

    // app.json cron jobs, run as one-offs of each app's current release (docs/architecture.md §5.1).
    const cron = await life.step({
      name: 'cron',
      start: async () => {
        const runner = new CronRunner({
          store,
          apps,
          scheduler,
          log: log.child({ component: 'cron' }),
          output: (app, proc, lines) =>
            obs.logs.hub.append(
              app,
              lines.map((m) => ({ t: new Date().toISOString(), s: 'app' as const, p: proc, m })),
            ),
        });
        await runner.start();
        return runner;
      },
      stop: (runner) => runner.stop(),
    });

    // Scheduled service backups and their off-site copies (docs/architecture.md §5.4); on the leader only, as all of this.
    await life.step({
      name: 'service-backups',
      start: async () => {
        await services.backups.start();
        return services.backups;
      },
      stop: (backups) => backups.stop(),
    });

    // Autoscaling policies evaluated every YB_AUTOSCALE_INTERVAL seconds from the router's readings (docs/architecture.md §5.5).
    const autoscaler = await life.step({
      name: 'autoscale',
      start: () => {
        const a = new Autoscaler({
          store,
          apps,
          deployer,
          points: (app, since) => obs.metrics.sampler.pointsOf(app, since),
          log: log.child({ component: 'autoscale' }),
          intervalMs: cfg.autoscaleInterval * 1000,
          tuning: {
            windowMs: cfg.autoscaleWindow * 1000,
            sustainMs: cfg.autoscaleSustain * 1000,
            upCooldownMs: cfg.autoscaleUpCooldown * 1000,
            downCooldownMs: cfg.autoscaleDownCooldown * 1000,
          },
        });
        a.start();
        return a;
      },
      stop: (a) => a.stop(),
    });

    // The API and git over HTTP.
    const hookSecret = randomBytes(24).toString('hex');
    const acme = { directory: cfg.acmeDirectory, email: cfg.acmeEmail, renewDays: cfg.acmeRenewDays };
    await life.step({
      name: 'api',
      start: async () => {
        const api = await buildApiServer({
          store,
          apps,
          deployer,
          scheduler,
          builds,
          runtime,
          services,
          log,
          dataDir,
          domain: cfg.domain,
          routerPort: cfg.routerAddr.port,
          apiUrl,
          hookSecret,
          logs: obs.logs,
          metrics: obs.metrics,
          cron,
          autoscaler,
          templates: new TemplateCatalogue(join(paths.packageRoot, 'templates')),
          catalogues: new ThirdPartyCatalogues(
            join(dataDir, 'template-catalogues'),
            { maxBytes: cfg.gitSyncMiB * 1024 * 1024, timeoutMs: cfg.gitSyncTimeout * 1000, allowPrivate: cfg.outboundPrivate },
            () => new TemplateCatalogue(join(paths.packageRoot, 'templates')).list().map((t) => t.name),
          ),
          acme,
          maxPushBytes: cfg.maxPushMiB * 1024 * 1024,
          gitSync: { maxBytes: cfg.gitSyncMiB * 1024 * 1024, timeoutMs: cfg.gitSyncTimeout * 1000, allowPrivate: cfg.outboundPrivate },
          webhookMaxBytes: cfg.webhookMaxKiB * 1024,
          maxSourceBytes: cfg.maxUnpackedMiB * 1024 * 1024,
          reviewSweepSeconds: cfg.reviewAppsSweep,
          reviewAppsMax: cfg.reviewAppsMax,
          runTimeoutMs: cfg.runTimeout * 1000,
          loginThrottle: new LoginThrottle({
            maxFailures: cfg.loginMaxFailures,
            maxFailuresPerIp: cfg.loginMaxFailuresPerIp,
            windowMs: cfg.loginWindow * 1000,
          }),
          trustedProxies: cfg.apiTrustedProxies,
          timeouts: { headersMs: cfg.apiHeadersTimeout * 1000, requestMs: cfg.apiRequestTimeout * 1000 },
          consoleSessionHours: cfg.consoleSessionHours,
          embeddedEtcd: cfg.etcdEndpoints.length === 0,
        });
        await api.listen({ host: cfg.apiAddr.host, port: cfg.apiAddr.port });
        return api;
      },
      stop: (api) => api.close(),
    });
    rmSync(join(dataDir, 'imports'), { recursive: true, force: true }); // archives of imports a crash cut short; after listen, so never a running ybd's
    rmSync(join(dataDir, 'git-sync'), { recursive: true, force: true }); // fetches (git:sync, webhooks) a crash cut short (docs/architecture.md §4.1)

    // ACME certificates renewed YB_ACME_RENEW_DAYS before they expire, checked every YB_ACME_RENEW_INTERVAL seconds.
    await life.step({
      name: 'cert-renewal',
      start: () =>
        startCertRenewal(
          { store, log, domain: cfg.domain, acme, routers: scheduler, apps },
          { withinDays: cfg.acmeRenewDays, intervalMs: cfg.acmeRenewInterval * 1000 },
        ),
      stop: (renewal) => renewal.stop(),
    });

    // Audit events past YB_AUDIT_RETENTION_DAYS or beyond YB_AUDIT_MAX_EVENTS per team: pruned now and hourly.
    await life.step({
      name: 'audit-retention',
      start: () => {
        let pruning = false; // one pass at a time
        const prune = () => {
          if (pruning) return;
          pruning = true;
          pruneEvents(store, { maxAgeDays: cfg.auditRetentionDays, maxPerTeam: cfg.auditMaxEvents })
            .then(
              (r) => (r.byAge || r.byCount) && log.info(r, 'old audit events pruned'),
              (err: unknown) => log.warn({ err }, 'audit event pruning failed; retrying later'),
            )
            .finally(() => (pruning = false));
        };
        prune();
        return setInterval(prune, 3600_000).unref();
      },
      stop: (timer) => clearInterval(timer),
    });

    // Git over SSH.
    await life.step({
      name: 'git-ssh',
      start: () =>
        startGitSsh(cfg.sshAddr, {
          store,
          apps,
          dataDir,
          hookUrl: `${apiUrl}/internal/git-hook`,
          hookSecret,
          log: log.child({ component: 'ssh' }),
          reviewParent: (app) => isReviewParent(store, app),
        }),
      stop: (ssh) => ssh.close(),
    });

    return {
      apiUrl,
      dataDir,
      etcd: { endpoints: etcd.endpoints, embedded: etcd.embedded !== null },
      registry: registry && { url: registry.images.url, embedded: registry.embedded !== null },
      admin,
      stop: () => life.stop(),
    };
  });
}
