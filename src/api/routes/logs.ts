// /apps/{app}/logs (the app's log stream: recent lines, or a live tail as chunked text) and
// /apps/{app}/log-drains (syslog and HTTPS drains).
import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { appFor, currentUser, userMay } from '../auth-hook.js';
import { HIDDEN_HEADER, HIDDEN_VALUE, redactUrl, scrub, urlSecrets } from '../redaction.js';
import { appParams } from '../schemas.js';
import { YbError } from '../../shared/errors.js';
import { formatLine, matches, LOG_SOURCES, type LogFilter, type LogLine, type LogSource } from '../../logs/line.js';
import type { LogService } from '../../logs/log-service.js';

const MAX_LINES = 100_000;
/** Output of a live tail (`yb logs -t`) held for a slow client before lines are dropped. */
export const LIVE_BUFFER_BYTES = 1024 * 1024;

export const logsQuery = {
  type: 'object',
  properties: {
    lines: { type: 'string', pattern: '^[0-9]{1,6}$', description: 'How many recent lines (default 100).', examples: ['100'] },
    tail: { type: 'string', enum: ['true', 'false', '1', '0'], description: 'Keep the response open and stream new lines as they come (chunked).' },
    ps: { type: 'string', pattern: '^[a-z][a-z0-9_-]*(\\.[0-9a-f]+)?$', description: 'Only this process type (web) or process (web.1).', examples: ['web'] },
    source: { type: 'string', enum: [...LOG_SOURCES], description: 'Only lines from the app, the router or the platform (yb).' },
    format: {
      type: 'string',
      enum: ['text', 'json'],
      description: 'text (default): Heroku-style lines; json: one JSON object per line {time, source, process, message}.',
    },
  },
  additionalProperties: false,
} as const;

const drainSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    app: { type: 'string' },
    url: { type: 'string' },
    kind: { type: 'string', enum: ['syslog+tcp', 'syslog+tls', 'https'] },
    token: { type: 'string' },
    createdAt: { type: 'string' },
    connected: { type: 'boolean' },
    queued: { type: 'integer' },
    dropped: { type: 'integer' },
    delivered: { type: 'integer' },
    lastError: { type: 'string' },
  },
  examples: [
    {
      id: '5f1c0a9e2b7d4c11',
      app: 'hello',
      url: 'syslog+tls://logs.example.com:6514',
      kind: 'syslog+tls',
      token: 'd.0123456789abcdef01234567',
      createdAt: '2026-11-26T00:00:00.000Z',
      connected: true,
      queued: 0,
      dropped: 0,
      delivered: 42,
    },
  ],
} as const;

function service(ctx: ApiContext): LogService {
  if (!ctx.logs) throw new YbError('YB_ERR_INTERNAL', 'logs are not enabled on this control plane');
  return ctx.logs;
}

const asJson = (l: LogLine) => JSON.stringify({ time: l.t, source: l.s, process: l.p, message: l.m });

export function registerLogs(api: FastifyInstance, ctx: ApiContext): void {
  api.get(
    '/apps/:app/logs',
    {
      schema: {
        summary: "The app's log: its processes' output, router access lines and platform events (text/plain)",
        description:
          'Lines look like `2026-11-26T00:00:00.000Z app[web.1]: listening`, `… router: method=GET path=/ status=200 duration=3ms …` or `… yb[deploy]: Release v3 created by admin`. ' +
          'With `tail=true` the response stays open (chunked transfer) and new lines are streamed as they arrive, after the recent ones; close the connection to stop.',
        params: appParams,
        querystring: logsQuery,
        produces: ['text/plain', 'application/x-ndjson'],
        response: { 200: { type: 'string', description: 'Log lines, one per line.', examples: ['2026-11-26T00:00:00.000Z app[web.1]: listening on 5000\n'] } },
      },
    },
    async (req, reply) => {
      const app = await appFor(ctx, req, 'read');
      const q = req.query as { lines?: string; tail?: string; ps?: string; source?: LogSource; format?: 'text' | 'json' };
      const n = Math.min(MAX_LINES, q.lines === undefined ? 100 : Number(q.lines));
      const filter: LogFilter = { ps: q.ps, source: q.source };
      const fmt = q.format === 'json' ? asJson : formatLine;
      const logs = service(ctx);
      const recent = logs.hub.recent(app.name, n, filter);
      reply.type(q.format === 'json' ? 'application/x-ndjson; charset=utf-8' : 'text/plain; charset=utf-8');
      if (q.tail !== 'true' && q.tail !== '1') return reply.send(recent.map((l) => `${fmt(l)}\n`).join(''));
      const out = new PassThrough();
      if (recent.length) out.write(recent.map((l) => `${fmt(l)}\n`).join(''));
      // A client reading more slowly than the app logs would make this stream buffer without bound: past
      // LIVE_BUFFER_BYTES new lines are dropped and counted, and the count is sent once the client caught up.
      let dropped = 0;
      const unsubscribe = logs.hub.subscribe(app.name, (lines) => {
        const shown = lines.filter((l) => matches(l, filter));
        if (shown.length === 0) return;
        if (out.writableLength + out.readableLength > LIVE_BUFFER_BYTES) {
          dropped += shown.length;
          return;
        }
        if (dropped)
          out.write(
            `${fmt({ t: new Date().toISOString(), s: 'yb', p: 'logs', m: `${dropped} lines dropped: this client read the stream more slowly than the app wrote it` })}\n`,
          );
        dropped = 0;
        out.write(shown.map((l) => `${fmt(l)}\n`).join(''));
      });
      // A comment-free keep-alive is not possible in plain text; an idle stream simply waits.
      const end = () => {
        unsubscribe();
        out.end();
      };
      req.raw.once('close', end);
      reply.raw.once('close', end);
      reply.header('cache-control', 'no-cache').header('x-accel-buffering', 'no');
      return reply.send(out);
    },
  );

  api.get(
    '/apps/:app/log-drains',
    {
      schema: {
        summary: 'Log drains of an app, with their delivery state (to viewers: URL credentials, query values and the token hidden)',
        params: appParams,
        response: { 200: { type: 'array', items: drainSchema } },
      },
    },
    async (req, reply) => {
      const app = await appFor(ctx, req, 'read');
      const drains = service(ctx).drains.list(app.name);
      if (await userMay(ctx, currentUser(req), app, 'manage')) return drains;
      reply.header(HIDDEN_HEADER, 'true');
      return drains.map((d) => {
        const secrets = [...urlSecrets(d.url), d.token];
        return { ...d, url: redactUrl(d.url), token: HIDDEN_VALUE, ...(d.lastError === undefined ? {} : { lastError: scrub(d.lastError, secrets) }) };
      });
    },
  );

  api.post(
    '/apps/:app/log-drains',
    {
      schema: {
        summary:
          'Add a log drain: syslog+tcp://host:port, syslog+tls://host:port (RFC 5424, octet-counted) or an https:// URL (POSTs of application/logplex-1)',
        params: appParams,
        body: {
          type: 'object',
          properties: { url: { type: 'string', maxLength: 2000, examples: ['syslog+tls://logs.example.com:6514'] } },
          required: ['url'],
          additionalProperties: false,
        },
        response: { 201: drainSchema },
      },
    },
    async (req, reply) => {
      const app = await appFor(ctx, req, 'manage');
      const d = await service(ctx).drains.add(app.name, (req.body as { url: string }).url);
      ctx.log.info({ app: app.name, drain: d.id, kind: d.kind }, 'log drain added');
      return reply.code(201).send(d);
    },
  );

  api.delete(
    '/apps/:app/log-drains/:drain',
    {
      schema: {
        summary: 'Remove a log drain (by id or URL)',
        params: {
          type: 'object',
          properties: { app: { type: 'string', maxLength: 64 }, drain: { type: 'string', maxLength: 2000 } },
          required: ['app', 'drain'],
        },
        response: { 200: drainSchema },
      },
    },
    async (req) => {
      const app = await appFor(ctx, req, 'manage');
      return service(ctx).drains.remove(app.name, (req.params as { drain: string }).drain);
    },
  );
}
