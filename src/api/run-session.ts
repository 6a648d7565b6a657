// `yb run`: a one-off container of the app's current release, attached over an upgraded HTTP connection
// (GET /apps/{app}/dynos/attach, Upgrade: yb-run) with the framing of shared/run-frames. Interactive with a
// TTY when asked; the exit code is passed through; the container is removed afterwards. Authorised as 'deploy'.
// Hardened like every one-off (the runtime's job), with the web process's size, and cut at YB_RUN_TIMEOUT.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ApiContext } from './context.js';
import { authenticate } from '../auth/tokens.js';
import { recordEvent } from '../auth/audit.js';
import { userMay } from './auth-hook.js';
import { YbError, errorId } from '../shared/errors.js';
import { toYbError } from './errors.js';
import { FRAME, FrameDecoder, frame } from '../shared/run-frames.js';
import { oneOffSpec } from '../scheduler/process-spec.js';
import { mountsOf } from '../storage/storage.js';
import { oneOffSize } from '../scheduler/sizes.js';
import { readFormation, type AppRecord } from '../release/app-records.js';
import type { User } from '../auth/tokens.js';
import type { Attachment } from '../runtime/runtime.js';

const PATH = /^\/apps\/([a-z0-9-]{1,64})\/dynos\/attach$/;

function refuse(socket: Duplex, e: YbError): void {
  const body = JSON.stringify({ id: errorId(e.code), message: e.message });
  socket.end(`HTTP/1.1 ${e.status} Error\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

export function isRunUpgrade(req: IncomingMessage): boolean {
  return PATH.test((req.url ?? '').split('?')[0]!) && (req.headers.upgrade ?? '').toLowerCase() === 'yb-run';
}

export async function handleRunUpgrade(ctx: ApiContext, req: IncomingMessage, socket: Duplex): Promise<void> {
  socket.on('error', () => undefined); // the client went away; cleanup happens on 'close'
  try {
    const url = new URL(req.url ?? '/', 'http://x');
    const appName = PATH.exec(url.pathname)![1]!;
    const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const user = token ? await authenticate(ctx.store, token) : null;
    if (!user) throw new YbError('YB_ERR_UNAUTHORIZED');
    const tty = url.searchParams.get('tty') === '1';
    const cols = Number(url.searchParams.get('cols') ?? 0);
    const rows = Number(url.searchParams.get('rows') ?? 0);
    const { proc } = await prepareRun(ctx, user, appName, {
      command: url.searchParams.get('command') ?? '',
      tty,
      term: url.searchParams.get('term') ?? undefined,
      ip: req.socket.remoteAddress,
    });
    socket.write('HTTP/1.1 101 Switching Protocols\r\nupgrade: yb-run\r\nconnection: Upgrade\r\n\r\n');

    // Backpressure both ways: while the client's socket buffer is full the container's output is not read (so
    // the process blocks on its writes instead of ybd buffering them), and while the container is not reading
    // its stdin the client's input is not read.
    let outputPaused = false;
    let lastOutput = Date.now();
    const send = (type: number, d: Buffer) => {
      lastOutput = Date.now();
      if (socket.write(frame(type, d)) || outputPaused) return;
      outputPaused = true;
      proc.pauseOutput();
      socket.once('drain', () => {
        outputPaused = false;
        proc.resumeOutput();
      });
    };
    proc.onOutput((stream, d) => send(stream === 'stderr' ? FRAME.STDERR : FRAME.STDOUT, d));
    let outputEnded = false;
    void proc.outputEnded.then(() => (outputEnded = true));
    const starting = proc.start();
    const resize = orderedResizes(proc, starting, tty ? cols : 0, tty ? rows : 0);
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      let frames;
      try {
        frames = decoder.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const f of frames) {
        if (f.type === FRAME.STDIN) {
          if (!proc.write(f.payload) && !socket.isPaused()) {
            socket.pause();
            proc.onceDrained(() => socket.resume());
          }
        } else if (f.type === FRAME.STDIN_END) proc.endInput();
        else if (f.type === FRAME.RESIZE && tty) {
          const [w, h] = f.payload.toString().split(',').map(Number);
          if (w && h) resize(w, h);
        }
      }
    });
    let finished = false;
    socket.on('close', () => {
      if (!finished) proc.remove().catch(() => undefined); // client gone: stop the process
    });
    await starting;
    const limitMs = ctx.runTimeoutMs ?? 3600_000;
    let cut = false;
    const timer = setTimeout(() => {
      cut = true;
      proc.kill().catch(() => undefined); // it may have ended at this very moment: wait() settles either way
    }, limitMs);
    const code = await proc.wait().finally(() => clearTimeout(timer));
    finished = true;
    const oom = !cut && (await proc.oomKilled());
    // Let the rest of the output through before the exit frame: a slow client may still be reading it (the
    // stream is paused meanwhile). Done when the attach stream ends, the client leaves, or output stays quiet.
    const deadline = Date.now() + 50;
    while (!outputEnded && !socket.destroyed && (outputPaused || Date.now() < Math.max(deadline, lastOutput + 50))) await new Promise((r) => setTimeout(r, 10));
    const why = stopReason(cut, oom, limitMs, proc.memoryLimitBytes);
    if (why) socket.write(frame(FRAME.STDERR, `\nyb: ${why}\n`));
    // Removed before the exit code is sent: once `yb run` returns, nothing of the process is left.
    await proc.remove().catch(() => undefined);
    socket.end(frame(FRAME.EXIT, String(code)));
  } catch (err) {
    const e = toYbError(err);
    if (e.code === 'YB_ERR_INTERNAL') ctx.log.error({ err }, 'one-off run failed');
    if (!socket.destroyed) refuse(socket, e);
  }
}

/**
 * Everything of a one-off before it starts, shared by both transports (this upgrade and the console's WebSocket,
 * run-websocket.ts): the same authorisation as the CLI's run ('deploy'; another team's app is "not found"), the
 * current release, the command's bound, the hardened spec with the app's mounts, the attach and the audit entry.
 */
export async function prepareRun(
  ctx: ApiContext,
  user: User,
  appName: string,
  o: { command: string; tty: boolean; term?: string; ip?: string },
): Promise<{ proc: Attachment; app: AppRecord }> {
  const app = await ctx.apps.getApp(appName);
  if (!app || !(await userMay(ctx, user, app, 'read'))) throw new YbError('YB_ERR_APP_NOT_FOUND', `no app named "${appName.slice(0, 64)}"`);
  if (!(await userMay(ctx, user, app, 'deploy'))) throw new YbError('YB_ERR_FORBIDDEN', `your role does not allow running commands on ${app.name}`);
  const release = await ctx.apps.getRelease(app.name, app.currentRelease);
  if (!release) throw new YbError('YB_ERR_NO_RELEASE', `${app.name} has no release yet; push code first`);
  if (!o.command || o.command.length > 8192) throw new YbError('YB_ERR_BAD_REQUEST', 'give a command to run (at most 8 KiB)');
  const network = await ctx.runtime.ensureNetwork(app.team);
  const volumes = await mountsOf(ctx.store, ctx.runtime.instance, app.name);
  const spec = oneOffSpec(app, release, o.command, oneOffSize(await readFormation(ctx.store, app.name)), network, undefined, volumes);
  if (o.tty) spec.env = { ...spec.env, TERM: (o.term ?? 'xterm').slice(0, 64) };
  const proc = await ctx.runtime.attach({ ...spec, tty: o.tty });
  ctx.log.info({ app: app.name, user: user.name, release: release.version, tty: o.tty }, 'one-off process started');
  // Audited without the command line, which may carry secrets.
  void recordEvent(
    ctx.store,
    { team: app.team, user: user.name, app: app.name, action: 'run', ip: o.ip, detail: { release: release.version, tty: o.tty } },
    ctx.log,
  );
  return { proc, app };
}

/**
 * Resizes of a one-off's terminal, in the order asked: the initial size once the process has started (a container
 * that has not started has no terminal to size), then each resize the client sends. Sent as they came, a client's
 * early resize could reach the engine before the initial one and be undone by it.
 */
export function orderedResizes(proc: Attachment, started: Promise<void>, cols: number, rows: number): (cols: number, rows: number) => void {
  let last: Promise<unknown> = started.then(() => (cols > 0 && rows > 0 ? proc.resize(cols, rows) : undefined)).catch(() => undefined);
  // resizing a finished process is harmless: its refusal is dropped
  return (c, r) => void (last = last.then(() => proc.resize(c, r)).catch(() => undefined));
}

/** Why a one-off ended other than by itself (timeout or out of memory), as the user is told; '' when it did. Pure. */
export function stopReason(cut: boolean, oom: boolean, limitMs: number, memoryLimitBytes: number): string {
  if (cut) return `the process ran longer than the ${Math.round(limitMs / 1000)} s limit of one-off processes (YB_RUN_TIMEOUT) and was stopped`;
  if (oom)
    return `the process was killed for using more than its memory limit (${Math.round(memoryLimitBytes / 1024 / 1024)} MiB; a larger web size, e.g. yb ps:scale web=1:1G, gives one-off processes more)`;
  return '';
}
