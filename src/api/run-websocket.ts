// `yb run` for the web console: the run endpoint (GET /apps/{app}/dynos/attach) upgraded to a WebSocket, which a
// browser can open where it cannot send the CLI's `Upgrade: yb-run` (docs/architecture.md §8). Owns the Origin rule,
// the message protocol and its bounds; the one-off itself is prepared exactly as for the CLI (run-session.ts).
// Authenticated by the console's session cookie only; must never start anything before the CSRF token matched.
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import type { ApiContext } from './context.js';
import { orderedResizes, prepareRun, stopReason } from './run-session.js';
import { sameSecret, type SessionRecord, sessionsFor } from './session.js';
import { toYbError } from './errors.js';
import { appFor } from './auth-hook.js';
import { appParams, errorSchema } from './schemas.js';
import { YbError, errorId } from '../shared/errors.js';
import type { User } from '../auth/tokens.js';
import type { Attachment } from '../runtime/runtime.js';

const PATH = /^\/apps\/([a-z0-9-]{1,64})\/dynos\/attach$/;
/** Largest message either way: a paste of keystrokes or a command line; anything larger closes the socket (1009). */
export const MAX_MESSAGE_BYTES = 64 * 1024;
/** The start message must come this soon after the upgrade, or the socket is closed with nothing started. */
const START_WITHIN_MS = 10_000;
/** Output is paused while this much is queued for a slow browser (the process then blocks on its writes). */
const HIGH_WATER = 1024 * 1024;

/** What the console sends first (text): the session's CSRF token, the command and the terminal's size. */
export interface StartMessage {
  type: 'start';
  csrf: string;
  command: string;
  cols?: number;
  rows?: number;
}
/** Control messages from the browser after the start (text); keystrokes come as binary messages. */
export type ControlMessage = { type: 'resize'; cols: number; rows: number } | { type: 'eof' };

export function isRunWebSocket(req: IncomingMessage): boolean {
  return PATH.test((req.url ?? '').split('?')[0]!) && (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
}

/**
 * Whether a WebSocket's Origin is this API's own (the console's page), so a page of another site cannot ride the
 * browser's cookie (cross-site WebSocket hijacking: browsers send cookies with WebSockets but no CORS check applies).
 * The scheme may be http or https, as behind a TLS-terminating proxy ybd sees http; both name this very host and port.
 * The configured API URL's origin counts too. Pure.
 */
export function originAllowed(origin: string | undefined, host: string | undefined, apiUrl: string): boolean {
  if (!origin || !host) return false;
  let o: URL;
  try {
    o = new URL(origin);
  } catch {
    return false;
  }
  if (o.origin !== origin) return false; // a path, user info or other oddity: not an Origin a browser sends
  if ((o.protocol === 'http:' || o.protocol === 'https:') && o.host === host.toLowerCase()) return true;
  try {
    return new URL(apiUrl).origin === origin;
  } catch {
    return false;
  }
}

/** The start message, or a sentence saying what is wrong with it. Pure. */
export function parseStart(data: string): StartMessage | string {
  let m: Partial<StartMessage>;
  try {
    m = JSON.parse(data) as Partial<StartMessage>;
  } catch {
    return 'the first message must be JSON: {"type":"start","csrf":…,"command":…}';
  }
  if (!m || typeof m !== 'object' || m.type !== 'start') return 'the first message must be {"type":"start",…}';
  if (typeof m.csrf !== 'string') return 'the start message has no CSRF token (csrf)';
  if (typeof m.command !== 'string') return 'the start message has no command';
  return { type: 'start', csrf: m.csrf, command: m.command, cols: termSize(m.cols), rows: termSize(m.rows) };
}

/** A control message, or null for anything else (ignored). Pure. */
export function parseControl(data: string): ControlMessage | null {
  try {
    const m = JSON.parse(data) as { type?: unknown; cols?: unknown; rows?: unknown };
    if (m?.type === 'eof') return { type: 'eof' };
    const cols = termSize(m?.cols);
    const rows = termSize(m?.rows);
    if (m?.type === 'resize' && cols && rows) return { type: 'resize', cols, rows };
  } catch {
    // not JSON: ignored like an unknown message
  }
  return null;
}

function termSize(n: unknown): number | undefined {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 1000 ? n : undefined;
}

function refuse(socket: Duplex, e: YbError): void {
  const body = JSON.stringify({ id: errorId(e.code), message: e.message });
  socket.end(`HTTP/1.1 ${e.status} Error\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES, perMessageDeflate: false });

/** Checks the Origin and the session before the upgrade (HTTP 403/401, nothing accepted), then serves the socket. */
export async function handleRunWebSocket(ctx: ApiContext, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  socket.on('error', () => undefined); // the client went away; cleanup happens on 'close'
  try {
    if (!originAllowed(req.headers.origin, req.headers.host, ctx.apiUrl))
      throw new YbError('YB_ERR_FORBIDDEN', 'this WebSocket was not opened by the console (its Origin is another site)');
    const found = await sessionsFor(ctx).resolve(req);
    if (!found) throw new YbError('YB_ERR_UNAUTHORIZED', 'no console session: sign in to the console first');
    const appName = PATH.exec(new URL(req.url ?? '/', 'http://x').pathname)![1]!;
    wss.handleUpgrade(req, socket, head, (ws) => serve(ctx, ws, found, appName, req.socket.remoteAddress));
  } catch (err) {
    const e = toYbError(err);
    if (e.code === 'YB_ERR_INTERNAL') ctx.log.error({ err }, 'run WebSocket refused');
    if (!socket.destroyed) refuse(socket, e);
  }
}

function sendError(ws: WebSocket, e: YbError): void {
  ws.send(JSON.stringify({ type: 'error', id: errorId(e.code), message: e.message, ...(e.hint ? { hint: e.hint } : {}) }));
  // 4000 + the HTTP status the API would have answered: 4403, 4404, 4400 …
  ws.close(4000 + e.status, e.message.slice(0, 120));
}

function serve(ctx: ApiContext, ws: WebSocket, found: { session: SessionRecord; user: User }, appName: string, ip: string | undefined): void {
  let proc: Attachment | null = null;
  let finished = false;
  let closed = false;
  ws.on('error', () => undefined); // a broken or over-long message closes the socket; 'close' cleans up
  ws.on('close', () => {
    closed = true;
    if (proc && !finished) proc.remove().catch(() => undefined); // the browser left: stop and remove the process
  });
  const startTimer = setTimeout(() => sendError(ws, new YbError('YB_ERR_BAD_REQUEST', 'no start message came within 10 s')), START_WITHIN_MS);
  ws.once('message', (data: RawData, isBinary: boolean) => {
    clearTimeout(startTimer);
    const start = isBinary ? 'the first message must be text' : parseStart(String(data));
    if (typeof start === 'string') return sendError(ws, new YbError('YB_ERR_BAD_REQUEST', start));
    // The second key: a page of another site can make the browser send the cookie but cannot read this token.
    if (!sameSecret(start.csrf, found.session.csrf))
      return sendError(ws, new YbError('YB_ERR_FORBIDDEN', 'the CSRF token of the start message is missing or does not match this session'));
    run(
      ctx,
      ws,
      found.user,
      appName,
      start,
      ip,
      (p) => (proc = p),
      () => closed,
    ).then(
      () => (finished = true),
      (err: unknown) => {
        finished = true;
        const e = toYbError(err);
        if (e.code === 'YB_ERR_INTERNAL') ctx.log.error({ err }, 'one-off run over WebSocket failed');
        if (ws.readyState === ws.OPEN) sendError(ws, e);
      },
    );
  });
}

async function run(
  ctx: ApiContext,
  ws: WebSocket,
  user: User,
  appName: string,
  start: StartMessage,
  ip: string | undefined,
  started: (p: Attachment) => void,
  isClosed: () => boolean,
): Promise<void> {
  const { proc } = await prepareRun(ctx, user, appName, { command: start.command, tty: true, term: 'xterm-256color', ip });
  started(proc);
  if (isClosed()) return void (await proc.remove().catch(() => undefined));
  ws.send(JSON.stringify({ type: 'started' }));

  // Backpressure both ways, as for the CLI: a full browser buffer pauses the container's output; a container
  // that is not reading its stdin pauses reading the browser's keystrokes.
  let outputPaused = false;
  let lastOutput = Date.now();
  proc.onOutput((_stream, d) => {
    lastOutput = Date.now();
    ws.send(d, { binary: true }, () => {
      if (outputPaused && ws.bufferedAmount < HIGH_WATER / 4) {
        outputPaused = false;
        proc.resumeOutput();
      }
    });
    if (!outputPaused && ws.bufferedAmount > HIGH_WATER) {
      outputPaused = true;
      proc.pauseOutput();
    }
  });
  let outputEnded = false;
  void proc.outputEnded.then(() => (outputEnded = true));
  const starting = proc.start();
  const resize = orderedResizes(proc, starting, start.cols ?? 0, start.rows ?? 0);
  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (isBinary) {
      if (!proc.write(Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer))) {
        ws.pause();
        proc.onceDrained(() => ws.resume());
      }
      return;
    }
    const c = parseControl(String(data));
    if (c?.type === 'eof') proc.endInput();
    else if (c?.type === 'resize') resize(c.cols, c.rows);
  });

  await starting;
  const limitMs = ctx.runTimeoutMs ?? 3600_000;
  let cut = false;
  const timer = setTimeout(() => {
    cut = true;
    proc.kill().catch(() => undefined);
  }, limitMs);
  const code = await proc.wait().finally(() => clearTimeout(timer));
  const oom = !cut && (await proc.oomKilled());
  // The rest of the output goes out before the exit message (see run-session.ts).
  const deadline = Date.now() + 50;
  while (!outputEnded && !isClosed() && (outputPaused || Date.now() < Math.max(deadline, lastOutput + 50))) await new Promise((r) => setTimeout(r, 10));
  const why = stopReason(cut, oom, limitMs, proc.memoryLimitBytes);
  if (why && !isClosed()) ws.send(Buffer.from(`\r\nyb: ${why}\r\n`), { binary: true });
  // Removed before the exit code is sent: once the terminal shows it, nothing of the process is left.
  await proc.remove().catch(() => undefined);
  if (!isClosed()) {
    ws.send(JSON.stringify({ type: 'exit', code }));
    ws.close(1000, 'exited');
  }
}

/**
 * The run endpoint as /openapi.json shows it. Its real use is an upgraded connection, which never reaches a route
 * (server.ts hands upgrades to run-session.ts and this module); a plain GET is told so, once the caller may see the app.
 */
export function registerRunDocs(api: FastifyInstance, ctx: ApiContext): void {
  api.get(
    '/apps/:app/dynos/attach',
    {
      schema: {
        summary: 'Run a command in a one-off process (yb run): an upgraded connection only',
        description:
          'Upgrade with `Upgrade: yb-run` and a Bearer token (the CLI; query command, tty, cols, rows, term; framed by shared/run-frames) ' +
          'or with `Upgrade: websocket` from the console: only its session cookie authenticates, the Origin must be this API’s own ' +
          '(else 403 before the upgrade), and the first message must be `{"type":"start","csrf":<the session’s CSRF token>,"command":…,"cols":…,"rows":…}`. ' +
          'Then binary messages carry keystrokes and output, `{"type":"resize","cols","rows"}` and `{"type":"eof"}` go in as text, and ' +
          '`{"type":"exit","code"}` ends the run once its process is removed. Refusals are `{"type":"error","id","message"}` with close code ' +
          '4000 + the HTTP status. Messages are at most 64 KiB; closing the socket removes the process. Both need the deploy permission ' +
          '(viewers cannot); another team’s app is not found. A plain GET answers 400.',
        params: appParams,
        response: { 400: errorSchema },
      },
    },
    async (req) => {
      const app = await appFor(ctx, req, 'read');
      throw new YbError('YB_ERR_BAD_REQUEST', `running a command on ${app.name} needs an upgraded connection (Upgrade: yb-run or websocket), not a plain GET`, {
        hint: `use yb run -a ${app.name} -- COMMAND, or the console's "Run a command" tab`,
      });
    },
  );
}
