// Streams a deploy's output to an HTTP response as text lines ending with the ok/fail status line
// (shared/status-lines), used by the git hook endpoint and source uploads. A client that reads more slowly than
// the build writes does not make ybd hold the output: past MAX_BUFFERED bytes lines are skipped and counted (the
// stored build log has them all), and the client is told how many when it has caught up (issue #14 item 9).
import type { FastifyReply } from 'fastify';
import type { ApiContext } from './context.js';
import type { ReleaseRecord } from '../release/app-records.js';
import { toYbError } from './errors.js';
import { STATUS_FAIL, STATUS_OK } from '../shared/status-lines.js';
import { lineBatch } from '../shared/line-batch.js';
import { deployWatchOf } from './deploy-watch.js';

/** The URL an app answers on through the router. */
export function appUrl(ctx: Pick<ApiContext, 'domain' | 'routerPort'>, app: string): string {
  return `http://${app}.${ctx.domain}${ctx.routerPort === 80 ? '' : `:${ctx.routerPort}`}/`;
}

/** Bytes of unsent output a slow client may leave in ybd before lines are skipped. */
export const MAX_BUFFERED = 4 * 1024 * 1024;

/** Runs `deploy` with its output streamed into `reply`; `failNote` is one more line after a failure. */
export async function streamDeploy(
  ctx: ApiContext,
  reply: FastifyReply,
  app: string,
  deploy: (out: (line: string) => void, signal: AbortSignal) => Promise<ReleaseRecord>,
  failNote?: string,
): Promise<void> {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' });
  // Lines go out in batches (shared/line-batch.ts); the closing lines after what is still batched.
  let skipped = 0;
  // The same lines go to the console's watchers (GET /apps/{app}/deploys/live), however slowly this client reads.
  const watch = deployWatchOf(ctx).begin(app);
  const batch = lineBatch((text) => raw.write(text));
  const note = () => {
    if (skipped === 0) return;
    batch.add(
      `!     ${skipped} line${skipped === 1 ? ' was' : 's were'} not sent: this client reads more slowly than the build writes (yb builds:output -a ${app} has the whole log)\n`,
    );
    skipped = 0;
  };
  const out = (line: string) => {
    watch.line(line);
    if (raw.writableLength > MAX_BUFFERED) {
      skipped++;
      return;
    }
    note();
    batch.add(`${line}\n`);
  };
  const say = (line: string) => {
    watch.line(line);
    batch.flush();
    raw.write(`${line}\n`);
  };
  const started = Date.now();
  // A pusher that went away (its connection closed before the answer ended) abandons a build still queued for a slot.
  const gone = new AbortController();
  raw.once('close', () => {
    if (!raw.writableFinished) gone.abort();
  });
  try {
    const rel = await deploy(out, gone.signal);
    note();
    say(`-----> v${rel.version} is live at ${appUrl(ctx, app)} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    watch.end(true);
    raw.end(`${STATUS_OK}\n`);
  } catch (err) {
    const e = toYbError(err);
    if (e.code === 'YB_ERR_INTERNAL') ctx.log.error({ err, app }, 'deploy failed unexpectedly');
    note();
    say(`!     ${e.message}`);
    if (e.hint) for (const l of e.hint.split('\n')) say(`!     ${l}`);
    if (failNote) say(`!     ${failNote}`);
    watch.end(false);
    raw.end(`${STATUS_FAIL}\n`);
  }
}
