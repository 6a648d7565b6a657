#!/usr/bin/env node
// ybd: the control plane. Loads the settings, starts the components (src/control-plane/control-plane.ts: the
// embedded etcd, the runtime, the embedded registry, the router process, the API and git …), says where they are,
// stops them on SIGINT/SIGTERM, and turns a failed start into one sentence.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, formatAddr, ConfigError, type PlatformConfig } from '../src/config/load.js';
import { EtcdUnavailableError } from '../src/store/embedded-etcd.js';
import { Store, StoreUnavailableError } from '../src/store/store.js';
import { RuntimeUnavailableError } from '../src/runtime/runtime.js';
import { RegistryUnavailableError } from '../src/registry/start.js';
import { LayoutRefusedError } from '../src/store/migrations/run.js';
import { createLogger } from '../src/shared/logger.js';
import { startControlPlane, type ControlPlane } from '../src/control-plane/control-plane.js';
import { startStandby, type Standby } from '../src/control-plane/leadership.js';

const here = dirname(fileURLToPath(import.meta.url));
const packageRoot = here.endsWith(join('dist', 'bin')) ? resolve(here, '..', '..') : resolve(here, '..');

async function main(): Promise<void> {
  const cfg = loadConfig();
  const log = createLogger('ybd', cfg.logLevel);
  const standby = cfg.ha ? await standBy(cfg, log) : undefined;
  const plane = await startControlPlane(cfg, log, { packageRoot, binDir: here });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    await plane.stop();
    await standby?.resign(); // the next leader takes over now, not when the lease runs out
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  if (cfg.exitWithParent) {
    // A parent that dies (even by SIGKILL) leaves ybd to init: its parent id changes.
    const parent = process.ppid;
    setInterval(() => process.ppid !== parent && void stop('parent exited'), 1000).unref();
  }
  process.stdout.write(`${banner(cfg, plane).join('\n')}\n`);
}

/**
 * YB_HA (docs/architecture.md §9): forwards this instance's API and SSH ports to the leader until this one is elected,
 * then frees them for the control plane. A leader that loses its lease exits at once: another one leads by then.
 */
async function standBy(cfg: PlatformConfig, log: ReturnType<typeof createLogger>): Promise<Standby> {
  if (cfg.etcdEndpoints.length === 0) throw new ConfigError(['YB_HA needs an etcd the instances share: set YB_ETCD_ENDPOINTS']);
  if (process.env.YB_ROUTER !== 'external')
    throw new ConfigError(['YB_HA needs the router as its own process, outliving any ybd: set YB_ROUTER=external and run yb-router beside']);
  const store = new Store(cfg.etcdEndpoints, cfg.etcdPrefix);
  await store.ping();
  const standby = await startStandby(store.client, cfg, log.child({ component: 'leadership' }));
  void standby.lost.then((err) => {
    log.fatal({ err }, 'lost the leadership (or the candidacy); exiting so that only the leader acts');
    process.exit(1);
  });
  process.stdout.write(`Yunbang standing by: ${formatAddr(cfg.apiAddr)} and ${formatAddr(cfg.sshAddr)} lead to the leader until this instance leads.\n`);
  const parent = process.ppid;
  const orphaned = cfg.exitWithParent ? setInterval(() => process.ppid !== parent && process.exit(0), 1000).unref() : undefined;
  await standby.elected;
  clearInterval(orphaned);
  log.info('elected leader; starting the control plane');
  await standby.stopForwarding();
  return standby;
}

function banner(cfg: PlatformConfig, plane: ControlPlane): string[] {
  const { apiUrl, admin, registry } = plane;
  return [
    '',
    `Yunbang is running.`,
    `  API and git:   ${apiUrl}   (OpenAPI: ${apiUrl}/openapi.json)`,
    `  Web console:   ${apiUrl}/   (sign in with the admin token below, or a user name and password)`,
    `  Git over SSH:  ssh://git@${formatAddr(cfg.sshAddr)}/<app>.git   (add your key: yb keys:add)`,
    `  Router:        http://${formatAddr(cfg.routerAddr)}   (apps at http://<app>.${cfg.domain}:${cfg.routerAddr.port}/)`,
    `  etcd:          ${plane.etcd.endpoints.join(', ')}${plane.etcd.embedded ? ' (embedded)' : ''}`,
    ...(registry ? [`  Registry:      ${registry.url}${registry.embedded ? ' (embedded; built images are pushed)' : ' (built images are pushed)'}`] : []),
    `  Data:          ${plane.dataDir}`,
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
}

// What the start launched has already been stopped (src/control-plane/lifecycle.ts); here it is only said why.
main().catch((err: unknown) => {
  if (
    err instanceof ConfigError ||
    err instanceof EtcdUnavailableError ||
    err instanceof StoreUnavailableError ||
    err instanceof RuntimeUnavailableError ||
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
  process.exit(1);
});
