// `yb run`: a one-off container of the app's current release, attached over an upgraded HTTP connection
// (GET /apps/{app}/dynos/attach, Upgrade: yb-run) with the framing of shared/run-frames. Interactive with a
// TTY when asked; the exit code is passed through; the container is removed afterwards. Authorised as 'deploy'.
// Hardened like every container (runtime/hardening.ts), with the web process's size, and cut at YB_RUN_TIMEOUT.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { PassThrough } from 'node:stream';
import type { ApiContext } from './context.js';
import { authenticate } from '../auth/tokens.js';
import { recordEvent } from '../auth/events.js';
import { userMay } from './auth-hook.js';
import { YbError, errorId } from '../shared/errors.js';
import { toYbError } from './errors.js';
import { FRAME, FrameDecoder, frame } from '../shared/run-frames.js';
import { LABEL_APP, LABEL_INSTANCE, LABEL_KIND, LABEL_RELEASE } from '../runtime/docker.js';
import { processCommand, teamNetwork } from '../scheduler/rollout.js';
import { oneOffSize, parseSize } from '../scheduler/sizes.js';
import { readFormation } from '../release/repo.js';

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
    const app = await ctx.repo.getApp(appName);
    if (!app || !(await userMay(ctx, user, app, 'read'))) throw new YbError('YB_ERR_APP_NOT_FOUND', `no app named "${appName}"`);
    if (!(await userMay(ctx, user, app, 'deploy'))) throw new YbError('YB_ERR_FORBIDDEN', `your role does not allow running commands on ${app.name}`);
    const release = app.currentRelease ? await ctx.repo.getRelease(app.name, app.currentRelease) : null;
    if (!release) throw new YbError('YB_ERR_NO_RELEASE', `${app.name} has no release yet; push code first`);
    const command = url.searchParams.get('command') ?? '';
    if (!command || command.length > 8192) throw new YbError('YB_ERR_BAD_REQUEST', 'give a command to run (at most 8 KiB)');
    const tty = url.searchParams.get('tty') === '1';
    const cols = Number(url.searchParams.get('cols') ?? 0);
    const rows = Number(url.searchParams.get('rows') ?? 0);

    const network = teamNetwork(ctx.runtime.instance, app.team);
    await ctx.runtime.ensureNetwork(network, { 'yunbang.team': app.team });
    const size = parseSize(oneOffSize(await readFormation(ctx.store, app.name)));
    const hardening = ctx.runtime.hostHardening('one-off', size.memoryBytes);
    const env = {
      ...release.config,
      PORT: String(release.port),
      DYNO: 'run.1',
      YB_APP: app.name,
      YB_RELEASE: `v${release.version}`,
      ...(tty ? { TERM: url.searchParams.get('term') ?? 'xterm' } : {}),
    };
    const container = await ctx.runtime.call(() =>
      ctx.runtime.docker.createContainer({
        Image: release.imageId || release.image,
        Cmd: processCommand(release, command) ?? ['/bin/sh', '-c', command],
        Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
        Labels: { [LABEL_INSTANCE]: ctx.runtime.instance, [LABEL_APP]: app.name, [LABEL_RELEASE]: String(release.version), [LABEL_KIND]: 'run' },
        Tty: tty,
        OpenStdin: true,
        StdinOnce: true,
        AttachStdin: true,
        AttachStdout: true,
        AttachStderr: true,
        HostConfig: { ...hardening, NanoCpus: size.nanoCpus, NetworkMode: network, Init: true },
      }),
    );
    ctx.log.info({ app: app.name, user: user.name, release: release.version, tty }, 'one-off process started');
    // Audited without the command line, which may carry secrets.
    void recordEvent(
      ctx.store,
      { team: app.team, user: user.name, app: app.name, action: 'run', ip: req.socket.remoteAddress, detail: { release: release.version, tty } },
      ctx.log,
    );
    const stream = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as unknown as Duplex;
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
      stream.pause();
      socket.once('drain', () => {
        outputPaused = false;
        stream.resume();
      });
    };
    if (tty) stream.on('data', (d: Buffer) => send(FRAME.STDOUT, d));
    else {
      const out = new PassThrough();
      const err = new PassThrough();
      container.modem.demuxStream(stream, out, err);
      out.on('data', (d: Buffer) => send(FRAME.STDOUT, d));
      err.on('data', (d: Buffer) => send(FRAME.STDERR, d));
    }
    let outputEnded = false;
    stream.once('end', () => (outputEnded = true));
    stream.once('close', () => (outputEnded = true));
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
          if (!stream.write(f.payload) && !socket.isPaused()) {
            socket.pause();
            stream.once('drain', () => socket.resume());
          }
        } else if (f.type === FRAME.STDIN_END) stream.end();
        else if (f.type === FRAME.RESIZE && tty) {
          const [w, h] = f.payload.toString().split(',').map(Number);
          if (w && h) container.resize({ w, h }).catch(() => undefined); // resizing a finished process is harmless
        }
      }
    });
    let finished = false;
    socket.on('close', () => {
      if (!finished) container.remove({ force: true }).catch(() => undefined); // client gone: stop the process
    });
    await container.start();
    const limitMs = ctx.runTimeoutMs ?? 3600_000;
    let cut = false;
    const timer = setTimeout(() => {
      cut = true;
      container.kill().catch(() => undefined); // it may have ended at this very moment: wait() settles either way
    }, limitMs);
    if (tty && cols > 0 && rows > 0) await container.resize({ w: cols, h: rows }).catch(() => undefined);
    const result = (await container.wait().finally(() => clearTimeout(timer))) as { StatusCode: number };
    finished = true;
    const oom = !cut && (await container.inspect().catch(() => null))?.State.OOMKilled === true;
    // Let the rest of the output through before the exit frame: a slow client may still be reading it (the
    // stream is paused meanwhile). Done when the attach stream ends, the client leaves, or output stays quiet.
    const deadline = Date.now() + 50;
    while (!outputEnded && !socket.destroyed && (outputPaused || Date.now() < Math.max(deadline, lastOutput + 50))) await new Promise((r) => setTimeout(r, 10));
    const why = cut
      ? `the process ran longer than the ${Math.round(limitMs / 1000)} s limit of one-off processes (YB_RUN_TIMEOUT) and was stopped`
      : oom
        ? `the process was killed for using more than its memory limit (${Math.round((hardening.Memory ?? 0) / 1024 / 1024)} MiB; a larger web size, e.g. yb ps:scale web=1:1G, gives one-off processes more)`
        : '';
    if (why) socket.write(frame(FRAME.STDERR, `\nyb: ${why}\n`));
    // Removed before the exit code is sent: once `yb run` returns, nothing of the process is left.
    await container.remove({ force: true }).catch(() => undefined);
    socket.end(frame(FRAME.EXIT, String(result.StatusCode)));
  } catch (err) {
    const e = toYbError(err);
    if (e.code === 'YB_ERR_INTERNAL') ctx.log.error({ err }, 'one-off run failed');
    if (!socket.destroyed) refuse(socket, e);
  }
}
