// Starts the real platform (compiled ybd → embedded etcd + router process) on free ports with its own data dir
// and instance label, on the test run's backend (backend.ts: YB_TEST_RUNTIME), for integration tests; stop() ends it
// and removes every Docker object it labelled and, on kubernetes, the namespaces it made.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { request } from 'node:http';
import { freePortPair, freePorts } from './ports.js';
import { backendEnv, probe, type Probe } from './backend.js';

const run = promisify(execFile);

/** How long stop() waits for ybd to exit after SIGTERM before killing it (its own shutdown takes a few seconds). */
const STOP_GRACE_MS = 90_000;

export const ROOT = resolve(import.meta.dirname, '..', '..');

export interface Platform {
  apiUrl: string;
  routerUrl: string;
  routerPort: number;
  routerAdminUrl: string;
  token: string;
  dataDir: string;
  instance: string;
  env: NodeJS.ProcessEnv;
  child: ChildProcess;
  /** What tests check behind the platform's back, on this run's backend (backend.ts). */
  probe: Probe;
  output: () => string;
  /** Runs the real `yb` CLI against this platform. */
  yb(args: string[], opts?: { cwd?: string; allowFail?: boolean }): Promise<{ code: number; stdout: string; stderr: string }>;
  /** GET through the router with a Host header. */
  fetchApp(host: string, path?: string): Promise<{ status: number; body: string }>;
  stop(): Promise<void>;
  kill9(): void;
  restart(): Promise<void>;
}

/** Starts the platform; retries with other ports when one was taken between choosing and binding it. */
export async function startPlatform(extraEnv: Record<string, string> = {}): Promise<Platform> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startPlatformOnce(extraEnv);
    } catch (err) {
      if (attempt >= 5 || !/in use|EADDRINUSE/i.test(String((err as Error).message))) throw err;
    }
  }
}

type Port = number | undefined;

/** The environment of a test ybd: this process's, with its own data dir, instance label and loopback ports. */
export function ybdEnv(o: { dataDir: string; instance: string; api: Port; router: Port; admin: Port; ssh: Port; tls: Port; etcd: Port }): NodeJS.ProcessEnv {
  return {
    ...process.env,
    YB_DATA_DIR: o.dataDir,
    YB_API_ADDR: `127.0.0.1:${o.api}`,
    YB_ROUTER_ADDR: `127.0.0.1:${o.router}`,
    YB_ROUTER_ADMIN_ADDR: `127.0.0.1:${o.admin}`,
    YB_ROUTER_TLS_ADDR: `127.0.0.1:${o.tls}`,
    YB_SSH_ADDR: `127.0.0.1:${o.ssh}`,
    YB_ETCD_PORT: String(o.etcd),
    YB_INSTANCE: o.instance,
    YB_ROUTER_WORKERS: '1',
  };
}

async function startPlatformOnce(extraEnv: Record<string, string>): Promise<Platform> {
  const [api, router, admin, ssh, tls] = await freePorts(5);
  let etcd = await freePortPair();
  while ([api, router, admin, ssh, tls].some((p) => p === etcd || p === etcd + 1)) etcd = await freePortPair();
  const dataDir = mkdtempSync(join(tmpdir(), 'yb-test-'));
  const instance = `ybt${process.env.YB_TEST_RUN_ID ?? ''}${Math.random().toString(36).slice(2, 7)}`;
  const env: NodeJS.ProcessEnv = {
    ...ybdEnv({ dataDir, instance, api, router, admin, ssh, tls, etcd }),
    YB_STOP_GRACE: '5',
    YB_HEALTH_UPTIME: '1',
    YB_EXIT_WITH_PARENT: 'true',
    ...backendEnv(),
    ...extraEnv,
  };
  delete env.YB_ETCD_ENDPOINTS;
  delete env.YB_API_TOKEN;
  if (!extraEnv.YB_LOG_DIR) delete env.YB_LOG_DIR;
  const routerLog = join(env.YB_LOG_DIR || join(dataDir, 'logs'), 'router.log');
  let out = '';
  let child!: ChildProcess;
  const launch = async () => {
    child = spawn(process.execPath, [join(ROOT, 'dist', 'bin', 'ybd.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 60_000;
    while (!out.includes('Yunbang is running')) {
      if (child.exitCode !== null) throw new Error(`ybd exited (${child.exitCode}):\n${out}`);
      if (Date.now() > deadline) throw new Error(`ybd did not start within 60 s:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // The router registers itself in etcd; wait until it answers so tests start with traffic possible.
    for (;;) {
      try {
        if ((await fetch(`http://127.0.0.1:${admin}/healthz`)).ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline || /EADDRINUSE/.test(readFileSync(routerLog, 'utf8'))) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
        throw new Error(`router did not start:\n${out}\n${readFileSync(routerLog, 'utf8')}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await launch();
  const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
  const apiUrl = `http://127.0.0.1:${api}`;
  const cliEnv = { ...env, YB_API_URL: apiUrl, YB_API_TOKEN: token, NO_COLOR: '1', HOME: dataDir };

  const p: Platform = {
    apiUrl,
    routerUrl: `http://127.0.0.1:${router}`,
    routerPort: router!,
    routerAdminUrl: `http://127.0.0.1:${admin}`,
    token,
    dataDir,
    instance,
    env: cliEnv,
    get child() {
      return child;
    },
    probe: probe(instance, dataDir),
    output: () => out,
    async yb(args, opts = {}) {
      return new Promise((resolvePromise, reject) => {
        const c = spawn(process.execPath, [join(ROOT, 'dist', 'bin', 'yb.js'), ...args], {
          env: cliEnv,
          cwd: opts.cwd ?? dataDir,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        c.on('error', reject);
        c.on('exit', (code) => {
          if (code !== 0 && !opts.allowFail) reject(new Error(`yb ${args.join(' ')} exited ${code}:\n${stdout}\n${stderr}`));
          else resolvePromise({ code: code ?? -1, stdout, stderr });
        });
      });
    },
    fetchApp: (host, path = '/') => httpGet(router!, host, path),
    async stop() {
      let hung = false;
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        // A stop that hangs fails the test instead of holding the whole run (the test runner waits for the file's
        // process, which waits for this child); what it left is cleaned up all the same.
        const timer = setTimeout(() => ((hung = true), child.kill('SIGKILL')), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }
      await cleanupDocker(instance);
      await p.probe.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
      if (hung) throw new Error(`ybd did not stop within ${STOP_GRACE_MS / 1000} s of SIGTERM and was killed`);
    },
    kill9() {
      child.kill('SIGKILL');
    },
    async restart() {
      out = '';
      await launch();
    },
  };
  return p;
}

/** GET http://127.0.0.1:<port><path> with a Host header (fetch cannot set Host); a fresh connection each time. */
export function httpGet(port: number, host: string, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolvePromise, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Removes containers and images carrying this test instance's label. */
export async function cleanupDocker(instance: string): Promise<void> {
  const label = `label=yunbang.instance=${instance}`;
  const { stdout: ids } = await run('docker', ['ps', '-aq', '--filter', label]);
  if (ids.trim()) await run('docker', ['rm', '-f', ...ids.trim().split('\n')]).catch(() => undefined);
  const { stdout: nets } = await run('docker', ['network', 'ls', '-q', '--filter', label]);
  if (nets.trim()) await run('docker', ['network', 'rm', ...nets.trim().split('\n')]).catch(() => undefined);
  // Two passes: an image that still had a child image (runtime layer under an app image) goes on the second.
  for (let pass = 0; pass < 2; pass++) {
    const { stdout: imgs } = await run('docker', ['images', '-q', '--filter', label]);
    if (imgs.trim()) await run('docker', ['rmi', '-f', ...new Set(imgs.trim().split('\n'))]).catch(() => undefined);
  }
}

/** Makes a git repository from a fixture app in a temp dir and returns its path. */
export async function fixtureRepo(name: string, into: string): Promise<string> {
  const dir = join(into, `src-${name}-${Math.random().toString(36).slice(2, 6)}`);
  await run('cp', ['-r', join(ROOT, 'test', 'fixtures', 'apps', name), dir]);
  await git(dir, ['init', '-q', '-b', 'main']);
  await git(dir, ['add', '-A']);
  await git(dir, ['-c', 'user.email=t@example.com', '-c', 'user.name=test', 'commit', '-qm', `fixture ${name}`]);
  return dir;
}

export async function git(cwd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; output: string }> {
  return new Promise((resolvePromise, reject) => {
    const c = spawn('git', args, { cwd, env: { ...env, GIT_TERMINAL_PROMPT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    c.stdout.on('data', (d: Buffer) => (output += d.toString()));
    c.stderr.on('data', (d: Buffer) => (output += d.toString()));
    c.on('error', reject);
    c.on('exit', (code) => resolvePromise({ code: code ?? -1, output }));
  });
}

export async function commitAll(dir: string, message: string): Promise<void> {
  await git(dir, ['add', '-A']);
  await git(dir, ['-c', 'user.email=t@example.com', '-c', 'user.name=test', 'commit', '-qm', message]);
}

/** The body a fixture app serves at / (its EXPECTED file). */
export function expectedBody(fixture: string): string {
  return readFileSync(join(ROOT, 'test', 'fixtures', 'apps', fixture, 'EXPECTED'), 'utf8').trim();
}

/** Creates `app` and deploys fixture `fixture` to it with a git push over HTTP; returns the fixture's repository. */
export async function deployFixture(p: Platform, app: string, fixture: string): Promise<string> {
  const repo = await fixtureRepo(fixture, p.dataDir);
  await p.yb(['apps:create', app]);
  const push = await git(repo, ['push', `http://yb:${p.token}@${new URL(p.apiUrl).host}/git/${app}.git`, 'main']);
  if (push.code !== 0) throw new Error(`deploying ${fixture} to ${app} failed:\n${push.output}`);
  return repo;
}
