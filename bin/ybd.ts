#!/usr/bin/env node
// ybd: the control plane. Wires the components, starts the embedded etcd (unless YB_ETCD_ENDPOINTS is set), the
// embedded image registry (YB_REGISTRY_PUSH without YB_REGISTRY_URL) and the router as its own process, serves
// the API and git, and stops what it started on SIGINT/SIGTERM.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn, type ChildProcess } from 'node:child_process';
import { loadConfig, formatAddr, ConfigError, type PlatformConfig } from '../src/config/load.js';
import { startEmbeddedEtcd, EtcdUnavailableError, type EmbeddedEtcd } from '../src/store/embedded-etcd.js';
import { Store, StoreUnavailableError } from '../src/store/store.js';
import { DockerRuntime, DockerUnavailableError } from '../src/runtime/docker.js';
import { applyBuildkitLimits } from '../src/runtime/buildkit-limits.js';
import { BuildCachePruner } from '../src/build/cache-prune.js';
import { ReleaseRepo } from '../src/release/repo.js';
import { Scheduler } from '../src/scheduler/rollout.js';
import { BuildService } from '../src/build/build-service.js';
import { detectRegistries } from '../src/build/registries.js';
import { Deployer } from '../src/deploy/pipeline.js';
import { buildApiServer } from '../src/api/server.js';
import { startCertRenewal } from '../src/api/cert-renewal.js';
import { createServices } from '../src/services/component.js';
import { ensureAdmin } from '../src/auth/tokens.js';
import { LoginThrottle } from '../src/auth/login-throttle.js';
import { pruneEvents } from '../src/auth/event-retention.js';
import { installSecretBox, loadSecretBox } from '../src/auth/secrets.js';
import { startGitSsh } from '../src/git/ssh.js';
import { createLogger } from '../src/shared/logger.js';
import { reconcileOnStart } from '../src/scheduler/reconcile.js';
import { startObservability } from '../src/metrics/observability.js';
import { ProcessMonitor } from '../src/scheduler/monitor.js';
import { livePid, stopPid, writePid } from '../src/shared/pidfile.js';
import { startRegistry, RegistryUnavailableError } from '../src/registry/start.js';
import { ensureLayout, LayoutRefusedError } from '../src/store/migrations/run.js';
import { PLATFORM_VERSION } from '../src/shared/version.js';

const here = dirname(fileURLToPath(import.meta.url));
const packageRoot = here.endsWith(join('dist', 'bin')) ? resolve(here, '..', '..') : resolve(here, '..');

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(800) })).ok;
  } catch {
    return false; // nothing there
  }
}

function startRouter(cfg: PlatformConfig, etcdEndpoints: string[], dataDir: string): ChildProcess {
  const js = join(here, 'yb-router.js');
  const args = existsSync(js) ? [js] : ['--import', 'tsx', join(here, 'yb-router.ts')];
  const logFd = openSync(join(dataDir, 'logs', 'router.log'), 'a');
  return spawn(process.execPath, args, {
    env: { ...process.env, YB_ETCD_ENDPOINTS: etcdEndpoints.join(','), YB_ETCD_PREFIX: cfg.etcdPrefix },
    stdio: ['ignore', logFd, logFd],
  });
}

/** Stops what a start that fails part-way has already started (embedded etcd, the router); emptied once running. */
const undoStart: Array<() => Promise<void>> = [];

async function main(): Promise<void> {
  const cfg = loadConfig();
  const log = createLogger('ybd', cfg.logLevel);
  const dataDir = resolve(cfg.dataDir);
  mkdirSync(join(dataDir, 'logs'), { recursive: true, mode: 0o700 });
  const apiUrl = `http://${formatAddr(cfg.apiAddr)}`;

  let etcd: EmbeddedEtcd | undefined;
  let adoptedEtcd: number | null = null;
  let endpoints = cfg.etcdEndpoints;
  const etcdPid = join(dataDir, 'etcd.pid');
  if (endpoints.length === 0) {
    const url = `http://127.0.0.1:${cfg.etcdClientPort}`;
    if (await answers(`${url}/health`)) {
      adoptedEtcd = livePid(etcdPid, join(dataDir, 'etcd'));
      log.info({ url, adopted: adoptedEtcd }, 'reusing the etcd already running on the embedded port');
    } else {
      const started = (etcd = await startEmbeddedEtcd({
        dataDir: join(dataDir, 'etcd'),
        clientPort: cfg.etcdClientPort,
        stdio: openSync(join(dataDir, 'logs', 'etcd.log'), 'a'),
      }));
      writePid(etcdPid, etcd.child.pid);
      undoStart.push(() => started.stop());
    }
    endpoints = [url];
  }
  const store = new Store(endpoints, cfg.etcdPrefix);
  await store.ping();
  // The state layout before anything reads or writes state (docs/architecture.md §8): a newer one is refused as is.
  await ensureLayout(store, { by: `ybd ${PLATFORM_VERSION}`, log: log.child({ component: 'layout' }) });
  const runtime = new DockerRuntime(cfg.instance, cfg.dockerHost, {
    processPids: cfg.processPids,
    buildPids: cfg.buildPids,
    servicePids: cfg.servicePids,
    processMemoryBytes: cfg.processMemory * 1024 * 1024,
    serviceMemoryBytes: cfg.serviceMemory * 1024 * 1024,
  });
  await runtime.ping();
  await applyBuildkitLimits(await runtime.cgroups(), { memoryBytes: cfg.buildMemory * 1024 * 1024, cpus: cfg.buildCpus, pids: cfg.buildPids }, log);
  for (const image of [cfg.stackImage, cfg.builderImage]) {
    if (!(await runtime.imageExists(image))) log.warn({ image }, 'base image missing: run "npm start" or scripts/build-images.sh');
  }
  const admin = await ensureAdmin(store, dataDir);
  installSecretBox(store, await loadSecretBox(dataDir)); // config at rest is sealed with $YB_DATA_DIR/secret.key

  // The image registry (issue #15): only when pushing is on, so single-host deploys start and deploy as before.
  const registry = cfg.registryPush ? await startRegistry(cfg, dataDir, runtime, log.child({ component: 'registry' })) : null;
  if (registry?.embedded) undoStart.push(() => registry.embedded!.stop());
  const registries = await detectRegistries({ npmRegistry: cfg.npmRegistry, pipIndex: cfg.pipIndex, goProxy: cfg.goProxy });
  const repo = new ReleaseRepo(store);
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
  const cachePruner = new BuildCachePruner(runtime, cfg.buildCacheMiB * 1024 * 1024, log.child({ component: 'build-cache' }));
  cachePruner.now();
  const builds = new BuildService(store, runtime, {
    dataDir,
    buildpacksDir: cfg.buildpacksDir || join(packageRoot, 'buildpacks'),
    builderImage: cfg.builderImage,
    stackImage: cfg.stackImage,
    caBundle: cfg.caBundle,
    timeoutMs: cfg.buildTimeout * 1000,
    registries,
    concurrency: cfg.buildConcurrency,
    memoryMiB: cfg.buildMemory,
    cpus: cfg.buildCpus,
    dockerfileBuilder: cfg.dockerfileBuilder,
    buildpackFetch: { maxBytes: cfg.buildpackFetchMiB * 1024 * 1024, timeoutMs: cfg.buildpackFetchTimeout * 1000, allowPrivate: cfg.outboundPrivate },
    afterBuild: () => cachePruner.afterBuild(),
    maxUnpackedMiB: cfg.maxUnpackedMiB,
    maxUnpackedFiles: cfg.maxUnpackedFiles,
    registry: registry?.images,
  });
  const deployer = new Deployer(repo, builds, scheduler, log.child({ component: 'deploy' }), cfg.releaseRetention, registry?.images);
  const services = createServices(
    { store, repo, deployer, runtime, log },
    {
      dataDir,
      recipesDir: join(packageRoot, 'images', 'services'),
      stackImage: cfg.stackImage,
      healthTimeoutMs: cfg.serviceHealthTimeout * 1000,
      backupRetention: cfg.serviceBackupRetention,
    },
  );
  const hookSecret = randomBytes(24).toString('hex');
  const obs = await startObservability(cfg, dataDir, store, runtime, repo, log);
  const apiCtx = {
    store,
    repo,
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
    acme: { directory: cfg.acmeDirectory, email: cfg.acmeEmail, renewDays: cfg.acmeRenewDays },
    maxPushBytes: cfg.maxPushMiB * 1024 * 1024,
    runTimeoutMs: cfg.runTimeout * 1000,
    loginThrottle: new LoginThrottle({ maxFailures: cfg.loginMaxFailures, maxFailuresPerIp: cfg.loginMaxFailuresPerIp, windowMs: cfg.loginWindow * 1000 }),
    trustedProxies: cfg.apiTrustedProxies,
    timeouts: { headersMs: cfg.apiHeadersTimeout * 1000, requestMs: cfg.apiRequestTimeout * 1000 },
  };
  const api = await buildApiServer(apiCtx);
  // ACME certificates are renewed YB_ACME_RENEW_DAYS before they expire; checked every YB_ACME_RENEW_INTERVAL seconds.
  const renewal = startCertRenewal(apiCtx, { withinDays: cfg.acmeRenewDays, intervalMs: cfg.acmeRenewInterval * 1000 });
  // Audit events past YB_AUDIT_RETENTION_DAYS or beyond YB_AUDIT_MAX_EVENTS per team are pruned once at start-up
  // (after the API listens) and hourly; one pass at a time.
  let pruning = false;
  const pruneAudit = () => {
    if (pruning) return;
    pruning = true;
    pruneEvents(store, { maxAgeDays: cfg.auditRetentionDays, maxPerTeam: cfg.auditMaxEvents })
      .then(
        (r) => (r.byAge || r.byCount) && log.info(r, 'old audit events pruned'),
        (err: unknown) => log.warn({ err }, 'audit event pruning failed; retrying later'),
      )
      .finally(() => (pruning = false));
  };
  const retention = setInterval(pruneAudit, 3600_000);
  retention.unref();

  let router: ChildProcess | undefined;
  let adoptedRouter: number | null = null;
  let stopping = false;
  const routerAdmin = `http://${formatAddr(cfg.routerAdminAddr)}/healthz`;
  const routerPid = join(dataDir, 'router.pid');
  if (process.env.YB_ROUTER !== 'external') {
    if (await answers(routerAdmin)) {
      adoptedRouter = livePid(routerPid, 'yb-router');
      log.info({ adopted: adoptedRouter }, 'a router is already serving; keeping it');
    } else {
      const started = (router = startRouter(cfg, endpoints, dataDir));
      writePid(routerPid, router.pid);
      undoStart.unshift(() => new Promise<void>((r) => (started.exitCode !== null ? r() : (started.once('exit', () => r()), started.kill('SIGTERM')))));
      router.on('exit', (code, signal) => {
        if (!stopping) log.error({ code, signal }, 'the router process exited; see logs/router.log');
      });
    }
  }

  const monitor = new ProcessMonitor(store, runtime, repo, log.child({ component: 'monitor' }), cfg.healthTimeout * 1000);
  await monitor.start();
  await reconcileOnStart(store, runtime, repo, scheduler, log.child({ component: 'reconcile' }));
  await api.listen({ host: cfg.apiAddr.host, port: cfg.apiAddr.port });
  rmSync(join(dataDir, 'imports'), { recursive: true, force: true }); // archives of imports a crash cut short; after listen, so never a running ybd's
  pruneAudit();
  const ssh = await startGitSsh(cfg.sshAddr, {
    store,
    repo,
    dataDir,
    hookUrl: `${apiUrl}/internal/git-hook`,
    hookSecret,
    log: log.child({ component: 'ssh' }),
  });

  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    monitor.stop();
    renewal.stop();
    clearInterval(retention);
    cachePruner.stop();
    await api.close().catch(() => undefined);
    obs.stop();
    await ssh.close();
    if (router && router.exitCode === null) {
      // The router drains for YB_ROUTER_DRAIN_TIMEOUT and ends itself 5 s later at the latest; past that, it is killed.
      router.kill('SIGTERM');
      const killer = setTimeout(() => router!.kill('SIGKILL'), cfg.routerDrainTimeout * 1000 + 10_000);
      await new Promise((r) => router!.once('exit', r));
      clearTimeout(killer);
    }
    if (adoptedRouter) await stopPid(adoptedRouter);
    store.close();
    await registry?.images.settle();
    await registry?.embedded?.stop();
    await etcd?.stop();
    if (adoptedEtcd) await stopPid(adoptedEtcd);
    process.exit(0);
  };
  undoStart.length = 0; // running: stopping is stop()'s now
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  if (cfg.exitWithParent) {
    // A parent that dies (even by SIGKILL) leaves ybd to init: its parent id changes.
    const parent = process.ppid;
    setInterval(() => process.ppid !== parent && void stop('parent exited'), 1000).unref();
  }

  const lines = [
    '',
    `Yunbang is running.`,
    `  API and git:   ${apiUrl}   (OpenAPI: ${apiUrl}/openapi.json)`,
    `  Git over SSH:  ssh://git@${formatAddr(cfg.sshAddr)}/<app>.git   (add your key: yb keys:add)`,
    `  Router:        http://${formatAddr(cfg.routerAddr)}   (apps at http://<app>.${cfg.domain}:${cfg.routerAddr.port}/)`,
    `  etcd:          ${endpoints.join(', ')}${etcd ? ' (embedded)' : ''}`,
    ...(registry
      ? [`  Registry:      ${registry.images.url}${registry.embedded ? ' (embedded; built images are pushed)' : ' (built images are pushed)'}`]
      : []),
    `  Data:          ${dataDir}`,
    `  Admin token:   ${admin.tokenFile}${admin.created ? ' (new)' : ''}`,
    '',
    'Next steps:',
    `  export YB_API_URL=${apiUrl} YB_API_TOKEN=$(cat ${admin.tokenFile})`,
    '  yb apps:create hello',
    `  git push http://yb:$YB_API_TOKEN@${formatAddr(cfg.apiAddr)}/git/hello.git main`,
    `  curl http://hello.${cfg.domain}:${cfg.routerAddr.port}/`,
    '',
    'Press Ctrl-C to stop.',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch(async (err: unknown) => {
  if (
    err instanceof ConfigError ||
    err instanceof EtcdUnavailableError ||
    err instanceof StoreUnavailableError ||
    err instanceof DockerUnavailableError ||
    err instanceof RegistryUnavailableError ||
    err instanceof LayoutRefusedError
  ) {
    process.stderr.write(`ybd: ${err.message}\n`);
  } else if ((err as NodeJS.ErrnoException)?.code === 'EADDRINUSE') {
    const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
    process.stderr.write(
      `ybd: ${e.address ?? '127.0.0.1'}:${e.port ?? '?'} is already in use (is another ybd running?); stop it or set YB_API_ADDR / YB_SSH_ADDR\n`,
    );
  } else {
    process.stderr.write(`ybd: failed to start: ${(err as Error)?.stack ?? String(err)}\n`);
  }
  // What this start launched goes with it (the router first, then etcd), within 15 s.
  const undone = (async () => {
    for (const undo of undoStart) await undo().catch(() => undefined);
  })();
  await Promise.race([undone, new Promise((r) => setTimeout(r, 15_000).unref())]);
  process.exit(1);
});
