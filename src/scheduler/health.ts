// Deploy health checks. The default check (DESIGN.md §5): the process accepts TCP on $PORT, probed from
// inside its own container (the published host port is held by Docker's proxy, which accepts regardless),
// then stays up for a few seconds. Returns an outcome; "unhealthy" is a value, not an exception.
import type { DockerRuntime } from '../runtime/docker.js';

export type HealthOutcome = { healthy: true } | { healthy: false; reason: string };

export interface HealthOptions {
  port?: number;
  timeoutMs: number;
  uptimeMs: number;
  signal?: AbortSignal;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function stillRunning(runtime: DockerRuntime, id: string): Promise<string | null> {
  const info = await runtime.inspect(id);
  if (!info) return 'the container disappeared';
  if (!info.State.Running || info.RestartCount > 0) {
    return `the process exited (code ${info.State.ExitCode}${info.RestartCount > 0 ? `, restarted ${info.RestartCount}×` : ''})`;
  }
  return null;
}

export async function waitHealthy(runtime: DockerRuntime, id: string, opts: HealthOptions): Promise<HealthOutcome> {
  const deadline = Date.now() + opts.timeoutMs;
  if (opts.port) {
    const probe = ['bash', '-c', `exec 3<>/dev/tcp/127.0.0.1/${opts.port}`];
    for (;;) {
      if (opts.signal?.aborted) return { healthy: false, reason: 'cancelled' };
      const dead = await stillRunning(runtime, id);
      if (dead) return { healthy: false, reason: dead };
      if ((await runtime.exec(id, probe).catch(() => -1)) === 0) break;
      if (Date.now() > deadline) return { healthy: false, reason: `nothing accepted connections on port ${opts.port} within ${Math.round(opts.timeoutMs / 1000)} s` };
      await sleep(250);
    }
  }
  const upUntil = Date.now() + opts.uptimeMs;
  while (Date.now() < upUntil) {
    await sleep(Math.min(250, Math.max(0, upUntil - Date.now())));
    const dead = await stillRunning(runtime, id);
    if (dead) return { healthy: false, reason: dead };
  }
  return { healthy: true };
}
