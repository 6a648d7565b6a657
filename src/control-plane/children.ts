// The two processes ybd runs beside itself, as lifecycle steps: the embedded etcd (unless YB_ETCD_ENDPOINTS names
// one; started again if it dies) and the router (unless YB_ROUTER=external). Either one found already answering (a
// ybd killed with -9 left it) is adopted: kept, and stopped with ybd, but left alone when this start fails.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { formatAddr, type PlatformConfig } from '../config/load.js';
import type { Logger } from '../shared/logger.js';
import { livePid, stopPid, writePid } from '../shared/pidfile.js';
import { startEmbeddedEtcd, type EmbeddedEtcd } from '../store/embedded-etcd.js';
import type { Step } from './lifecycle.js';

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(800) })).ok;
  } catch {
    return false; // nothing there
  }
}

/** etcd's client endpoints, and the embedded etcd this start launched or adopted (neither with YB_ETCD_ENDPOINTS). */
export interface EtcdHandle {
  endpoints: string[];
  embedded: EmbeddedEtcd | null;
  adopted: number | null;
}

export function etcdStep(cfg: PlatformConfig, dataDir: string, logDir: string, log: Logger): Step<EtcdHandle> {
  return {
    name: 'etcd',
    async start() {
      if (cfg.etcdEndpoints.length > 0) return { endpoints: cfg.etcdEndpoints, embedded: null, adopted: null };
      const url = `http://127.0.0.1:${cfg.etcdClientPort}`;
      const pidFile = join(dataDir, 'etcd.pid');
      if (await answers(`${url}/health`)) {
        const adopted = livePid(pidFile, join(dataDir, 'etcd'));
        log.info({ url, adopted }, 'reusing the etcd already running on the embedded port');
        return { endpoints: [url], embedded: null, adopted };
      }
      const launch = async () => {
        const etcd = await startEmbeddedEtcd({
          dataDir: join(dataDir, 'etcd'),
          clientPort: cfg.etcdClientPort,
          stdio: openSync(join(logDir, 'etcd.log'), 'a'),
        });
        writePid(pidFile, etcd.child.pid);
        return etcd;
      };
      return { endpoints: [url], embedded: supervised(await launch(), launch, log), adopted: null };
    },
    async stop(etcd) {
      await etcd.embedded?.stop();
      if (etcd.adopted) await stopPid(etcd.adopted);
    },
    undo: (etcd) => etcd.embedded?.stop(),
  };
}

/**
 * Keeps the embedded etcd running: one that exits unasked (killed, crashed) is started again on the same data, after
 * a pause that grows while it keeps failing. The platform's clients reconnect by themselves; the router serves its
 * last table meanwhile (docs/architecture.md §3). `stop` ends the current child and the supervision.
 */
function supervised(first: EmbeddedEtcd, launch: () => Promise<EmbeddedEtcd>, log: Logger): EmbeddedEtcd {
  let current = first;
  let stopping = false;
  let pauseMs = 500;
  const watch = (etcd: EmbeddedEtcd) =>
    etcd.child.once('exit', (code, signal) => {
      if (stopping) return;
      log.error({ code, signal }, 'the embedded etcd exited; starting it again');
      const again = async (): Promise<void> => {
        await new Promise((r) => setTimeout(r, pauseMs));
        if (stopping) return;
        try {
          current = await launch();
          if (stopping) return void current.stop(); // ybd began stopping while this one started
          pauseMs = 500;
          log.info({ pid: current.child.pid }, 'the embedded etcd is back');
          watch(current);
        } catch (err) {
          pauseMs = Math.min(pauseMs * 2, 10_000);
          log.error({ err }, 'starting the embedded etcd again failed; retrying');
          return again();
        }
      };
      void again();
    });
  watch(first);
  return {
    endpoint: first.endpoint,
    get child() {
      return current.child;
    },
    stop() {
      stopping = true;
      return current.stop();
    },
  };
}

/** The router process this start launched, or the pid of one it adopted; neither with YB_ROUTER=external. */
export interface RouterHandle {
  child: ChildProcess | null;
  adopted: number | null;
}

/** `binDir` holds yb-router.js (compiled) or yb-router.ts (run through tsx). */
export function routerStep(cfg: PlatformConfig, etcdEndpoints: string[], dataDir: string, logDir: string, binDir: string, log: Logger): Step<RouterHandle> {
  let stopping = false;
  return {
    name: 'router',
    async start() {
      if (process.env.YB_ROUTER === 'external') return { child: null, adopted: null };
      if (await answers(`http://${formatAddr(cfg.routerAdminAddr)}/healthz`)) {
        const adopted = livePid(join(dataDir, 'router.pid'), 'yb-router');
        log.info({ adopted }, 'a router is already serving; keeping it');
        return { child: null, adopted };
      }
      const js = join(binDir, 'yb-router.js');
      const args = existsSync(js) ? [js] : ['--import', 'tsx', join(binDir, 'yb-router.ts')];
      const logFd = openSync(join(logDir, 'router.log'), 'a');
      const child = spawn(process.execPath, args, {
        env: { ...process.env, YB_ETCD_ENDPOINTS: etcdEndpoints.join(','), YB_ETCD_PREFIX: cfg.etcdPrefix },
        stdio: ['ignore', logFd, logFd],
      });
      writePid(join(dataDir, 'router.pid'), child.pid);
      child.on('exit', (code, signal) => {
        if (!stopping) log.error({ code, signal }, `the router process exited; see ${join(logDir, 'router.log')}`);
      });
      return { child, adopted: null };
    },
    async stop(router) {
      stopping = true;
      const child = router.child;
      if (child && child.exitCode === null && child.signalCode === null) {
        // The router drains for YB_ROUTER_DRAIN_TIMEOUT and ends itself 5 s later at the latest; past that, it is killed.
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), cfg.routerDrainTimeout * 1000 + 10_000);
        await exited;
        clearTimeout(killer);
      }
      if (router.adopted) await stopPid(router.adopted);
    },
    undo: async (router) => {
      stopping = true;
      const child = router.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
