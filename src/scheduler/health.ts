// Deploy health checks. Default (docs/architecture.md §5): the process listens on $PORT — read from the container's
// own network namespace (/proc/<pid>/net/tcp*), since Docker's port proxy accepts on the host port regardless
// and images need not have a shell — then it stays up for a few seconds. Configured checks (app.json
// `healthchecks`, CHECKS, Dockerfile HEALTHCHECK) come on top. "Unhealthy" is a value, not an exception.
// A HEALTHCHECK is run by us (docker exec) as soon as the port listens, retried quickly: Docker itself would run
// it first only after its --interval (30 s by default; Docker 20.10 has no --start-interval). When it is a plain
// curl/wget of the web port, the same request is first sent from the host (http-healthcheck.ts): a pass there
// saves the exec; anything else is left to the command itself.
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import type { DockerRuntime } from '../runtime/docker.js';
import { httpHealthcheck, passesFromHost } from './http-healthcheck.js';

export type HealthOutcome = { healthy: true } | { healthy: false; reason: string };

/** An HTTP check: GET `path` must answer 2xx/3xx (and contain `content`, when given). */
export interface HttpCheck {
  path: string;
  content?: string;
  /** Seconds to wait before the first attempt. */
  initialDelay?: number;
}

export interface HealthOptions {
  port?: number;
  hostPort?: number;
  http?: HttpCheck[];
  /** Wait for the image's own HEALTHCHECK to report healthy. */
  dockerHealth?: boolean;
  timeoutMs: number;
  uptimeMs: number;
  signal?: AbortSignal;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Pause between two cheap probes (a /proc read, a request from the host). */
const POLL_MS = 10;
/** Age after which the container's state is asked of Docker again (an inspect is dearer than a probe). */
const INSPECT_MS = 100;
/** Pause between two runs of a failing HEALTHCHECK or app.json check. */
const RETRY_MS = 100;
/** Docker's default HEALTHCHECK --timeout. */
const DOCKER_CHECK_TIMEOUT_MS = 30_000;

/** The command a Dockerfile HEALTHCHECK runs (["CMD", …] as is, ["CMD-SHELL", s] through /bin/sh); null for none. Pure. */
export function healthCommand(test: string[] | undefined): string[] | null {
  const [kind, ...rest] = test ?? [];
  if (kind === 'CMD' && rest.length) return rest;
  if (kind === 'CMD-SHELL' && rest.length) return ['/bin/sh', '-c', rest.join(' ')];
  return null;
}

/** Whether a /proc/net/tcp or tcp6 table has a socket listening on `port`. Pure. */
export function listensOn(table: string, port: number): boolean {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return table.split('\n').some((line) => {
    const cols = line.trim().split(/\s+/);
    return cols[3] === '0A' && cols[1]?.endsWith(`:${hex}`) === true;
  });
}

async function listening(pid: number, port: number): Promise<boolean> {
  for (const file of ['tcp', 'tcp6']) {
    const text = await readFile(`/proc/${pid}/net/${file}`, 'utf8').catch(() => '');
    if (listensOn(text, port)) return true;
  }
  return false;
}

interface Answer {
  status: number;
  body: string;
}

/** One request to 127.0.0.1:`port`; the answer (body up to 64 KiB), or the error's message. */
function ask(port: number, req: { method?: string; path: string; host?: string; timeoutMs: number }): Promise<Answer | string> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { 'user-agent': 'yunbang-healthcheck' };
    if (req.host) headers.host = req.host;
    const r = request({ host: '127.0.0.1', port, method: req.method ?? 'GET', path: req.path, timeout: req.timeoutMs, agent: false, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        if (body.length < 65536) body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (err) => resolve(err.message));
    });
    r.on('timeout', () => r.destroy(new Error('timed out')));
    r.on('error', (err) => resolve(err.message));
    r.end();
  });
}

async function httpProbe(port: number, check: HttpCheck): Promise<string | null> {
  const a = await ask(port, { path: check.path, timeoutMs: 5000 });
  if (typeof a === 'string') return `GET ${check.path} failed: ${a}`;
  if (a.status < 200 || a.status >= 400) return `GET ${check.path} answered ${a.status}`;
  if (check.content && !a.body.includes(check.content)) return `GET ${check.path} did not contain "${check.content}"`;
  return null;
}

export async function waitHealthy(runtime: DockerRuntime, id: string, opts: HealthOptions): Promise<HealthOutcome> {
  const deadline = Date.now() + opts.timeoutMs;
  const secs = Math.round(opts.timeoutMs / 1000);
  let lastProblem = '';
  // A process that restarts during its check failed it; restarts before the check began (a crash-restart
  // being re-admitted) do not count.
  const first = await runtime.inspect(id);
  const restartsBefore = first?.RestartCount ?? 0;
  interface State {
    dead?: string;
    pid: number;
    health?: string;
    check?: { cmd: string[] | null; timeoutMs: number };
  }
  const read = (info: Awaited<ReturnType<DockerRuntime['inspect']>>): State => {
    if (!info) return { dead: 'the container disappeared', pid: 0 };
    if (!info.State.Running || info.RestartCount > restartsBefore) {
      return { dead: `the process exited (code ${info.State.ExitCode}${info.RestartCount > 0 ? `, restarted ${info.RestartCount}×` : ''})`, pid: 0 };
    }
    const hc = (info.Config as { Healthcheck?: { Test?: string[]; Timeout?: number } }).Healthcheck;
    return {
      pid: info.State.Pid,
      health: (info.State as { Health?: { Status: string } }).Health?.Status,
      check: { cmd: healthCommand(hc?.Test), timeoutMs: hc?.Timeout ? hc.Timeout / 1e6 : DOCKER_CHECK_TIMEOUT_MS },
    };
  };
  let known = { at: Date.now(), state: read(first) };
  /** The container's state, asked of Docker again when what is known is older than `maxAgeMs`. */
  const state = async (maxAgeMs = 0): Promise<State> => {
    if (Date.now() - known.at > maxAgeMs) known = { at: Date.now(), state: read(await runtime.inspect(id)) };
    return known.state;
  };

  /** Probes until `ok` holds; `ok` may also answer a reason, which fails the check at once. */
  const until = async (what: string, ok: (s: State) => Promise<boolean | string>, pauseMs: number): Promise<HealthOutcome | null> => {
    for (;;) {
      if (opts.signal?.aborted) return { healthy: false, reason: 'cancelled' };
      const s = await state(INSPECT_MS);
      if (s.dead) return { healthy: false, reason: s.dead };
      const verdict = await ok(s);
      if (verdict === true) return null;
      if (typeof verdict === 'string') return { healthy: false, reason: verdict };
      if (Date.now() > deadline) return { healthy: false, reason: `${what} within ${secs} s${lastProblem ? ` (${lastProblem})` : ''}` };
      await sleep(pauseMs);
    }
  };

  if (opts.port) {
    const port = opts.port;
    const failed = await until(`nothing listened on port ${port}`, (s) => listening(s.pid, port), POLL_MS);
    if (failed) return failed;
  }
  if (opts.dockerHealth) {
    const failed = await until(
      'the image HEALTHCHECK did not pass',
      async (s) => {
        if (s.health === 'healthy' || !s.check?.cmd) return true;
        if (s.health === 'unhealthy') return `Docker reports the image HEALTHCHECK unhealthy${lastProblem ? ` (${lastProblem})` : ''}`;
        const probe = opts.hostPort && opts.port ? httpHealthcheck(s.check.cmd, opts.port) : null;
        if (probe && opts.hostPort) {
          const timeoutMs = Math.max(1, Math.min(probe.timeoutMs ?? Infinity, s.check.timeoutMs, deadline - Date.now()));
          const a = await ask(opts.hostPort, { method: probe.method, path: probe.path, host: probe.host, timeoutMs });
          if (typeof a !== 'string' && passesFromHost(probe, a.status)) return true;
        }
        const r = await runtime.exec(id, s.check.cmd, Math.max(1, Math.min(s.check.timeoutMs, deadline - Date.now())));
        const said = r.output.trim().split('\n').pop()?.trim();
        lastProblem = r.code === null ? 'the HEALTHCHECK command timed out' : `HEALTHCHECK exit code ${r.code}${said ? `: ${said.slice(0, 200)}` : ''}`;
        return r.code === 0;
      },
      RETRY_MS,
    );
    if (failed) return failed;
  }
  for (const check of opts.http ?? []) {
    if (!opts.hostPort) break;
    if (check.initialDelay) await sleep(check.initialDelay * 1000);
    const hostPort = opts.hostPort;
    const failed = await until(
      `the health check GET ${check.path} did not pass`,
      async () => {
        const problem = await httpProbe(hostPort, check);
        lastProblem = problem ?? '';
        return problem === null;
      },
      RETRY_MS,
    );
    if (failed) return failed;
  }
  const upUntil = Date.now() + opts.uptimeMs;
  while (Date.now() < upUntil) {
    await sleep(Math.min(200, Math.max(0, upUntil - Date.now())));
    const s = await state();
    if (s.dead) return { healthy: false, reason: s.dead };
  }
  return { healthy: true };
}
