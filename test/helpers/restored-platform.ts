// A platform started by `ybd restore FILE` (docs/architecture.md §9) for the backup/restore tests: a fresh data dir,
// instance label and loopback ports; the real CLI against it; stop() ends it and removes what it labelled.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupDocker, ybdEnv, ROOT } from './platform.js';
import { freePortPair, freePorts } from './ports.js';
import { probe } from './backend.js';

export interface FreshEnv {
  env: NodeJS.ProcessEnv;
  dataDir: string;
  instance: string;
  routerPort: number;
  apiUrl: string;
}

/** The environment of a ybd on a fresh data dir, with its own instance label and ports. */
export async function freshEnv(extra: Record<string, string> = {}): Promise<FreshEnv> {
  const [api, router, admin, ssh, tls] = await freePorts(5);
  let etcd = await freePortPair();
  while ([api, router, admin, ssh, tls].some((x) => x === etcd || x === etcd + 1)) etcd = await freePortPair();
  const dataDir = mkdtempSync(join(tmpdir(), 'yb-restored-'));
  const instance = `ybr${Math.random().toString(36).slice(2, 7)}`;
  const env: NodeJS.ProcessEnv = {
    ...ybdEnv({ dataDir, instance, api, router, admin, ssh, tls, etcd }),
    YB_STOP_GRACE: '5',
    YB_HEALTH_UPTIME: '1',
    YB_EXIT_WITH_PARENT: 'true',
    ...extra,
  };
  if (!extra.YB_ETCD_ENDPOINTS) delete env.YB_ETCD_ENDPOINTS;
  delete env.YB_API_TOKEN;
  return { env, dataDir, instance, routerPort: router!, apiUrl: `http://127.0.0.1:${api}` };
}

/** `ybd restore FILE`; `done` resolves when it printed `until` (code null, still running) or exited (its code). */
export function ybdRestore(env: NodeJS.ProcessEnv, file: string, until?: string, timeoutMs = 900_000) {
  return ybd(env, ['restore', file], until, timeoutMs);
}

/** ybd with `args`, as ybdRestore. */
export function ybd(env: NodeJS.ProcessEnv, args: string[], until?: string, timeoutMs = 900_000) {
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'bin', 'ybd.js'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const done = new Promise<{ code: number | null; out: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ybd restore took over ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const take = (d: Buffer) => {
      out += d.toString();
      if (until && out.includes(until)) {
        clearTimeout(timer);
        resolve({ code: null, out });
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
  return { child, done, out: () => out };
}

export interface Restored extends FreshEnv {
  child: ChildProcess;
  token: () => string;
  /** The real `yb` against it (`tok` null: the ~/.netrc of `home`). */
  yb(args: string[], tok: string | null, opts?: { input?: string; home: string }): Promise<{ code: number | null; out: string }>;
  stop(): Promise<void>;
}

export function restored(fresh: FreshEnv, child: ChildProcess): Restored {
  return {
    ...fresh,
    child,
    token: () => readFileSync(join(fresh.dataDir, 'admin-token'), 'utf8').trim(),
    async yb(args, tok, opts = { home: fresh.dataDir }) {
      const env: NodeJS.ProcessEnv = { ...fresh.env, YB_API_URL: fresh.apiUrl, HOME: opts.home, NO_COLOR: '1', ...(tok ? { YB_API_TOKEN: tok } : {}) };
      const c = spawn(process.execPath, [join(ROOT, 'dist', 'bin', 'yb.js'), ...args], { env });
      let out = '';
      c.stdout.on('data', (d: Buffer) => (out += d.toString()));
      c.stderr.on('data', (d: Buffer) => (out += d.toString()));
      c.stdin.end(opts.input ?? '');
      const code = await new Promise<number | null>((resolve) => c.on('exit', resolve));
      return { code, out };
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      // A ybd stopped before its start finished (while it brings apps back) leaves its children: end them by their pid files.
      for (const f of ['etcd.pid', 'router.pid']) {
        const pid = Number(existsSync(join(fresh.dataDir, f)) ? readFileSync(join(fresh.dataDir, f), 'utf8').trim() : NaN);
        if (pid > 1) {
          try {
            process.kill(pid, 'SIGTERM');
          } catch {
            // already gone
          }
        }
      }
      await cleanupDocker(fresh.instance);
      await probe(fresh.instance, fresh.dataDir).removeVolumes();
      rmSync(fresh.dataDir, { recursive: true, force: true });
    },
  };
}
