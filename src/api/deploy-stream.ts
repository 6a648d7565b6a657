// Streams a deploy's output to an HTTP response as text lines ending with the ok/fail status line
// (shared/status-lines), used by the git hook endpoint and source uploads.
import type { FastifyReply } from 'fastify';
import type { ApiContext } from './context.js';
import type { ReleaseRecord } from '../release/repo.js';
import { toYbError } from './errors.js';
import { STATUS_FAIL, STATUS_OK } from '../shared/status-lines.js';

/** The URL an app answers on through the router. */
export function appUrl(ctx: Pick<ApiContext, 'domain' | 'routerPort'>, app: string): string {
  return `http://${app}.${ctx.domain}${ctx.routerPort === 80 ? '' : `:${ctx.routerPort}`}/`;
}

/** Runs `deploy` with its output streamed into `reply`; `failNote` is one more line after a failure. */
export async function streamDeploy(ctx: ApiContext, reply: FastifyReply, app: string, deploy: (out: (line: string) => void) => Promise<ReleaseRecord>, failNote?: string): Promise<void> {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' });
  const out = (line: string) => raw.write(`${line}\n`);
  const started = Date.now();
  try {
    const rel = await deploy(out);
    out(`-----> v${rel.version} is live at ${appUrl(ctx, app)} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    raw.end(`${STATUS_OK}\n`);
  } catch (err) {
    const e = toYbError(err);
    if (e.code === 'YB_ERR_INTERNAL') ctx.log.error({ err, app }, 'deploy failed unexpectedly');
    out(`!     ${e.message}`);
    if (e.hint) for (const l of e.hint.split('\n')) out(`!     ${l}`);
    if (failNote) out(`!     ${failNote}`);
    raw.end(`${STATUS_FAIL}\n`);
  }
}
