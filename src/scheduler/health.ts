// Deploy health checks. Default (docs/architecture.md §5): the process listens on $PORT — the runtime's readiness
// (runtime.listening: on Docker, read from the container's own network namespace) — then it stays up for a few
// seconds. Configured checks (app.json `healthchecks`, CHECKS, the image's HEALTHCHECK) come on top. "Unhealthy" is
// a value, not an exception. A HEALTHCHECK is run by us (runtime.exec) as soon as the port listens, retried quickly:
// Docker itself would run it first only after its --interval (30 s by default; Docker 20.10 has no
// --start-interval). When it is a plain curl/wget of the web port, the same request is first sent to the process's
// address (http-healthcheck.ts): a pass there saves the exec; anything else is left to the command itself.
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'node:http';
import type { Address, ProcessState, Runtime } from '../runtime/runtime.js';
import { httpHealthcheck, passesFromHost } from './http-healthcheck.js';

/** Healthy, with the process's address as last seen (it may have changed since the start). */
export type HealthOutcome = { healthy: true; address?: Address } | { healthy: false; reason: string };

/** An HTTP check: GET `path` must answer 2xx/3xx (and contain `content`, when given). */
export interface HttpCheck {
  path: string;
  content?: string;
  /** Seconds to wait before the first attempt. */
  initialDelay?: number;
}

export interface HealthOptions {
  /** The port the process must listen on (web processes). */
  port?: number;
  /** Where that port answers (the runtime's address); HTTP checks go there. */
  address?: Address;
  http?: HttpCheck[];
  /** Wait for the image's own HEALTHCHECK to pass. */
  imageHealthcheck?: boolean;
  timeoutMs: number;
  uptimeMs: number;
  signal?: AbortSignal;
}

/** Pause between two cheap probes (a /proc read, a request from the host). */
const POLL_MS = 10;
/** Age after which the process's state is asked of the runtime again (dearer than a probe). */
const STATE_MS = 100;
/** Pause between two runs of a failing HEALTHCHECK or app.json check. */
const RETRY_MS = 100;
interface Answer {
  status: number;
  body: string;
}

/** One request to `to`; the answer (body up to 64 KiB), or the error's message. */
function ask(to: Address, req: { method?: string; path: string; host?: string; timeoutMs: number }): Promise<Answer | string> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { 'user-agent': 'yunbang-healthcheck' };
    if (req.host) headers.host = req.host;
    const r = request({ host: to.host, port: to.port, method: req.method ?? 'GET', path: req.path, timeout: req.timeoutMs, agent: false, headers }, (res) => {
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

async function httpProbe(to: Address, check: HttpCheck): Promise<string | null> {
  const a = await ask(to, { path: check.path, timeoutMs: 5000 });
  if (typeof a === 'string') return `GET ${check.path} failed: ${a}`;
  if (a.status < 200 || a.status >= 400) return `GET ${check.path} answered ${a.status}`;
  if (check.content && !a.body.includes(check.content)) return `GET ${check.path} did not contain "${check.content}"`;
  return null;
}

export async function waitHealthy(runtime: Runtime, id: string, opts: HealthOptions): Promise<HealthOutcome> {
  const deadline = Date.now() + opts.timeoutMs;
  const secs = Math.round(opts.timeoutMs / 1000);
  let lastProblem = '';
  // A process that restarts during its check failed it; restarts before the check began (a crash-restart
  // being re-admitted) do not count.
  const first = await runtime.processState(id);
  const restartsBefore = first?.restarts ?? 0;
  interface State {
    dead?: string;
    now?: ProcessState;
  }
  const read = (p: ProcessState | null): State => {
    if (!p) return { dead: 'the process disappeared' };
    if (!p.running || p.restarts > restartsBefore) {
      return { dead: `the process exited (code ${p.exitCode ?? '?'}${p.restarts > 0 ? `, restarted ${p.restarts}×` : ''})` };
    }
    return { now: p };
  };
  let known = { at: Date.now(), state: read(first) };
  /** The process's state, asked of the runtime again when what is known is older than `maxAgeMs`. */
  const state = async (maxAgeMs = 0): Promise<State> => {
    if (Date.now() - known.at > maxAgeMs) known = { at: Date.now(), state: read(await runtime.processState(id)) };
    return known.state;
  };
  const address = () => known.state.now?.address ?? opts.address;

  /** Probes until `ok` holds; `ok` may also answer a reason, which fails the check at once. */
  const until = async (what: string, ok: (s: State) => Promise<boolean | string>, pauseMs: number): Promise<HealthOutcome | null> => {
    for (;;) {
      if (opts.signal?.aborted) return { healthy: false, reason: 'cancelled' };
      const s = await state(STATE_MS);
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
    const failed = await until(`nothing listened on port ${port}`, () => runtime.listening(id, port), POLL_MS);
    if (failed) return failed;
  }
  if (opts.imageHealthcheck) {
    const failed = await until(
      'the image HEALTHCHECK did not pass',
      async (s) => {
        const check = s.now?.imageCheck;
        if (check?.status === 'healthy' || !check?.command) return true;
        if (check.status === 'unhealthy') return `Docker reports the image HEALTHCHECK unhealthy${lastProblem ? ` (${lastProblem})` : ''}`;
        const to = address();
        const probe = to && opts.port ? httpHealthcheck(check.command, opts.port) : null;
        if (probe && to) {
          const timeoutMs = Math.max(1, Math.min(probe.timeoutMs ?? Infinity, check.timeoutMs, deadline - Date.now()));
          const a = await ask(to, { method: probe.method, path: probe.path, host: probe.host, timeoutMs });
          if (typeof a !== 'string' && passesFromHost(probe, a.status)) return true;
        }
        const r = await runtime.exec(id, check.command, { timeoutMs: Math.max(1, Math.min(check.timeoutMs, deadline - Date.now())) });
        const said = `${r.stdout}${r.stderr}`.trim().split('\n').pop()?.trim();
        lastProblem = r.code === null ? 'the HEALTHCHECK command timed out' : `HEALTHCHECK exit code ${r.code}${said ? `: ${said.slice(0, 200)}` : ''}`;
        return r.code === 0;
      },
      RETRY_MS,
    );
    if (failed) return failed;
  }
  for (const check of opts.http ?? []) {
    if (!address()) break;
    if (check.initialDelay) await sleep(check.initialDelay * 1000);
    const failed = await until(
      `the health check GET ${check.path} did not pass`,
      async () => {
        const to = address();
        const problem = to ? await httpProbe(to, check) : 'the process has no address';
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
  // A check can pass before the state last read shows the address (a pod gets its IP after it was seen starting):
  // read it once more, or the rollout would publish no endpoint for this process.
  const at = address() ?? (opts.port ? (await state()).now?.address : undefined);
  return at ? { healthy: true, address: at } : { healthy: true };
}
