// Exec and attach on Kubernetes (docs/architecture.md §6.2): the v5 channel protocol over WebSocket (a channel byte
// before each message: 0 stdin, 1 stdout, 2 stderr, 3 status, 4 resize, 255 close), an exec's exit code from its
// status message, and `yb run`'s one-off pod attached to the caller.
import type { Readable } from 'node:stream';
import type WebSocket from 'ws';
import type { Attachment, ExecResult } from '../runtime.js';
import type { KubeApi } from './kube-api.js';
import { CONTAINER } from './kube-objects.js';

const MAX_EXEC_OUTPUT = 64 * 1024;

/** The exit code of an exec's status message (channel 3). Pure. */
export function exitCodeOfStatus(text: string): number | null {
  try {
    const s = JSON.parse(text) as { status?: string; details?: { causes?: Array<{ reason?: string; message?: string }> } };
    if (s.status === 'Success') return 0;
    const cause = s.details?.causes?.find((c) => c.reason === 'ExitCode');
    return cause?.message !== undefined && /^\d+$/.test(cause.message) ? Number(cause.message) : null;
  } catch {
    return null;
  }
}

/** `command` run with `env` and as `user`, for an exec (Kubernetes' exec takes neither). Pure. */
export function execCommand(command: string[], env: Record<string, string> = {}, user?: string): string[] {
  const withEnv = Object.keys(env).length ? ['env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...command] : command;
  return user ? ['setpriv', `--reuid=${user}`, `--regid=${user}`, '--init-groups', '--', ...withEnv] : withEnv;
}

/** Runs a command in a pod's container: output capped to the last 64 KiB of each stream, exit code from the status. */
export async function execInPod(api: KubeApi, namespace: string, pod: string, command: string[], timeoutMs: number): Promise<ExecResult> {
  const query: Array<[string, string]> = [
    ['container', CONTAINER],
    ['stdout', 'true'],
    ['stderr', 'true'],
    ...command.map((c): [string, string] => ['command', c]),
  ];
  const ws = await api.socket(`/api/v1/namespaces/${namespace}/pods/${pod}/exec`, query);
  let stdout = '';
  let stderr = '';
  let code: number | null = null;
  const keep = (s: string) => (s.length > 2 * MAX_EXEC_OUTPUT ? s.slice(-MAX_EXEC_OUTPUT) : s);
  ws.on('message', (data: Buffer) => {
    const ch = data[0];
    const text = data.subarray(1).toString('utf8');
    if (ch === 1) stdout = keep(stdout + text);
    else if (ch === 2) stderr = keep(stderr + text);
    else if (ch === 3) code = exitCodeOfStatus(text);
  });
  let timer: NodeJS.Timeout | undefined;
  const ended = await Promise.race([
    new Promise<boolean>((resolve) => ws.once('close', () => resolve(true))),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
  ]);
  clearTimeout(timer);
  if (!ended) {
    ws.terminate();
    return { code: null, stdout: '', stderr: '' };
  }
  return { code, stdout: stdout.slice(-MAX_EXEC_OUTPUT), stderr: stderr.slice(-MAX_EXEC_OUTPUT) };
}

export interface OneOffPod {
  namespace: string;
  name: string;
  tty: boolean;
  memoryLimitBytes: number;
  /** Creates the pod (and what it needs); resolves once it was accepted. */
  create(): Promise<void>;
  /** Resolves once the container runs or already ended. */
  started(): Promise<void>;
  exitState(): Promise<{ code: number; oomKilled: boolean }>;
  followLogs(): Promise<Readable | null>;
  kill(): Promise<void>;
  remove(): Promise<void>;
}

/**
 * `yb run` on Kubernetes: output comes from the container's log followed from its start (an attach would miss what
 * the process wrote before it connected), input through an attach of stdin alone, which closes stdin on endInput.
 */
export function attachPod(api: KubeApi, p: OneOffPod): Attachment {
  const handlers: Array<(stream: 'stdout' | 'stderr', data: Buffer) => void> = [];
  let logs: Readable | null = null;
  let ws: WebSocket | null = null;
  let paused = false;
  const pendingInput: Buffer[] = [];
  let inputEnded = false;
  const drainWaiters: Array<() => void> = [];
  let endOutput!: () => void;
  const outputEnded = new Promise<void>((resolve) => (endOutput = resolve));

  const send = (ch: number, data: Buffer) => ws?.send(Buffer.concat([Buffer.from([ch]), data]));
  const flushInput = () => {
    if (!ws) return;
    for (const d of pendingInput.splice(0)) send(0, d);
    if (inputEnded) send(255, Buffer.from([0]));
    for (const cb of drainWaiters.splice(0)) cb();
  };

  return {
    memoryLimitBytes: p.memoryLimitBytes,
    onOutput: (h) => handlers.push(h),
    pauseOutput: () => {
      paused = true;
      logs?.pause();
    },
    resumeOutput: () => {
      paused = false;
      logs?.resume();
    },
    outputEnded,
    write: (data) => {
      if (!ws) {
        pendingInput.push(Buffer.from(data));
        return false;
      }
      send(0, data);
      return ws.bufferedAmount < 1024 * 1024;
    },
    onceDrained: (cb) => {
      if (!ws) drainWaiters.push(cb);
      else if (ws.bufferedAmount < 1024 * 1024) setImmediate(cb);
      else {
        const t = setInterval(() => {
          if (!ws || ws.bufferedAmount < 1024 * 1024) {
            clearInterval(t);
            cb();
          }
        }, 20);
      }
    },
    endInput: () => {
      inputEnded = true;
      if (ws) send(255, Buffer.from([0]));
    },
    start: async () => {
      await p.create();
      await p.started();
      logs = await p.followLogs();
      if (!logs) endOutput();
      else {
        if (paused) logs.pause();
        logs.on('data', (d: Buffer) => handlers.forEach((h) => h('stdout', d)));
        logs.once('end', () => endOutput());
        logs.once('close', () => endOutput());
        logs.once('error', () => endOutput());
      }
      const query: Array<[string, string]> = [
        ['container', CONTAINER],
        ['stdin', 'true'],
        ['stdout', 'false'],
        ['stderr', 'false'],
        ['tty', String(p.tty)],
      ];
      // The process may have ended already (nothing to attach to): its output is in the log all the same.
      ws = await api.socket(`/api/v1/namespaces/${p.namespace}/pods/${p.name}/attach`, query).catch(() => null);
      ws?.on('error', () => undefined);
      flushInput();
    },
    resize: async (cols, rows) => {
      send(4, Buffer.from(JSON.stringify({ Width: cols, Height: rows })));
    },
    wait: async () => (await p.exitState()).code,
    kill: () => p.kill(),
    oomKilled: async () => (await p.exitState()).oomKilled,
    remove: async () => {
      ws?.terminate();
      logs?.destroy();
      await p.remove();
    },
  };
}
