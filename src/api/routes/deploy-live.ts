// GET /apps/{app}/deploys/live: the output of the app's deploy in progress (from any push or upload) and, with
// wait=true, of every later one, as server-sent events, for a second viewer such as the web console. The pusher's own stream is not
// affected; a watcher that reads slowly has lines skipped (counted), never buffered without bound in ybd.
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { appFor } from '../auth-hook.js';
import { appParams } from '../schemas.js';
import { deployWatchOf, type DeployEvent } from '../deploy-watch.js';

/** Unsent bytes a watcher may leave in ybd before lines are skipped. */
export const WATCH_BUFFER_BYTES = 1024 * 1024;
/** A comment line every so often keeps idle proxies from closing the stream. */
const KEEPALIVE_MS = 15_000;

/** One event in the text/event-stream format. Pure. */
export function sseFrame(e: DeployEvent): string {
  return `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;
}

export function registerDeployLive(api: FastifyInstance, ctx: ApiContext): void {
  api.get(
    '/apps/:app/deploys/live',
    {
      schema: {
        summary: "Follow the app's deploys as they happen (text/event-stream)",
        description:
          'Events `start` `{type, at}`, `line` `{type, text}` (the lines a pusher sees, without the `remote:` prefix) and `end` `{type, ok}`. ' +
          'A deploy already in progress is replayed from its start (up to 2000 lines) and followed to its end; then the stream ends. ' +
          'With `wait=true` it stays open for later deploys too, until the client closes it.',
        params: appParams,
        querystring: {
          type: 'object',
          properties: { wait: { type: 'string', enum: ['true', 'false'], description: 'Stay open for deploys that start later.' } },
          additionalProperties: false,
        },
        produces: ['text/event-stream'],
      },
    },
    async (req, reply) => {
      const app = await appFor(ctx, req, 'read');
      const wait = (req.query as { wait?: string }).wait === 'true';
      const watch = deployWatchOf(ctx);
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
      raw.write(wait ? ': following deploys\n\n' : ': following the deploy in progress\n\n');
      if (!wait && !watch.inProgress(app.name)) {
        raw.end();
        return;
      }
      let skipped = 0;
      const send = (e: DeployEvent) => {
        if (raw.writableLength > WATCH_BUFFER_BYTES && e.type === 'line') {
          skipped++;
          return;
        }
        if (skipped) {
          raw.write(sseFrame({ type: 'line', text: `… ${skipped} lines skipped: this viewer reads more slowly than the build writes` }));
          skipped = 0;
        }
        raw.write(sseFrame(e));
        if (e.type === 'end' && !wait) raw.end();
      };
      const stop = watch.watch(app.name, send);
      const keepalive = setInterval(() => raw.write(': keep-alive\n\n'), KEEPALIVE_MS);
      keepalive.unref();
      raw.on('close', () => {
        clearInterval(keepalive);
        stop();
      });
    },
  );
}
