// POST /internal/git-hook: called by the pre-receive hook with the pushed tree as a tar body; runs the deploy
// and streams its output back as lines, ending with a NUL-prefixed "ok" or "fail" status line.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Readable } from 'node:stream';
import type { ApiContext } from '../context.js';
import { toYbError } from '../errors.js';
import { STATUS_FAIL, STATUS_OK } from '../../shared/status-lines.js';

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function registerGitHook(api: FastifyInstance, ctx: ApiContext): void {
  api.addContentTypeParser('application/x-tar', (_req, payload, done) => done(null, payload));

  api.post('/internal/git-hook', { schema: { hide: true } }, async (req, reply) => {
    const secret = req.headers['x-yb-hook-secret'];
    if (typeof secret !== 'string' || !sameSecret(secret, ctx.hookSecret)) {
      (req.body as Readable).resume();
      return reply.code(403).send({ id: 'forbidden', message: 'not a hook of this control plane' });
    }
    const q = req.query as { app?: string; rev?: string };
    const user = String(req.headers['x-yb-user'] ?? 'unknown');
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' });
    const out = (line: string) => raw.write(`${line}\n`);
    const started = Date.now();
    try {
      const rel = await ctx.deployer.deploySource({ app: String(q.app), source: req.body as Readable, commit: q.rev, user }, out);
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      out(`-----> v${rel.version} is live at http://${rel.app}.${ctx.domain}${ctx.routerPort === 80 ? '' : `:${ctx.routerPort}`}/ (${secs} s)`);
      raw.end(`${STATUS_OK}\n`);
    } catch (err) {
      const e = toYbError(err);
      if (e.code === 'YB_ERR_INTERNAL') ctx.log.error({ err, app: q.app }, 'deploy failed unexpectedly');
      out(`!     ${e.message}`);
      if (e.hint) for (const l of e.hint.split('\n')) out(`!     ${l}`);
      out('!     Push rejected; the previous release keeps serving.');
      raw.end(`${STATUS_FAIL}\n`);
    }
  });
}
