// POST /internal/git-hook: called by the pre-receive hook with the pushed tree as a tar body; runs the deploy
// and streams its output back as lines, ending with a NUL-prefixed "ok" or "fail" status line.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Readable } from 'node:stream';
import type { ApiContext } from '../context.js';
import { streamDeploy } from '../deploy-stream.js';
import { branchOfRef } from '../../pipelines/review-names.js';
import { reviewPush } from '../review-apps-of.js';

/** The hook sends the ref hex-encoded (src/git/repos.ts); a hook from before that sent it as is, or none. */
function decodeRef(hex: unknown): string {
  if (typeof hex !== 'string') return 'refs/heads/main';
  return /^([0-9a-f]{2})+$/.test(hex) ? Buffer.from(hex, 'hex').toString('utf8') : hex;
}

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
    const q = req.query as { app?: string; rev?: string; ref?: string; delete?: string };
    const user = String(req.headers['x-yb-user'] ?? 'unknown');
    const app = String(q.app);
    // Other branches than main/master reach here only for a review parent (docs/architecture.md §5.6).
    const branch = branchOfRef(decodeRef(q.ref));
    if (branch !== null) {
      await reviewPush(ctx, reply, { parent: app, branch, commit: q.rev, deleted: q.delete === '1', user, source: req.body as Readable });
      closeWhenAnswered(req.raw, reply.raw);
      return;
    }
    await streamDeploy(
      ctx,
      reply,
      app,
      (out, signal) => ctx.deployer.deploySource({ app, source: req.body as Readable, commit: q.rev, user, signal }, out),
      'Push rejected; the previous release keeps serving.',
    );
    closeWhenAnswered(req.raw, reply.raw);
  });
}

/** How long a refused upload is still read (and dropped) after the answer, before the connection is cut. */
const LINGER_MS = 1000;

/**
 * A source refused while it was still coming in (one that unpacks past YB_MAX_UNPACKED_MB: gigabytes may follow) is
 * not read to its end. Once the answer is out, the connection is half-closed (the sender sees the answer end) and
 * what still comes is read and dropped for LINGER_MS, then the connection is cut, which stops the sender. Cutting at
 * once would leave unread bytes in the socket, and closing a socket with unread bytes makes the kernel send a reset,
 * which can discard the answer on the sender's side before it has read it (curl then shows only "Send failure").
 */
export function closeWhenAnswered(req: IncomingMessage, res: ServerResponse): void {
  const linger = () => {
    if (req.complete) return;
    const socket = req.socket;
    const cut = setTimeout(() => socket.destroy(), LINGER_MS);
    socket.once('close', () => clearTimeout(cut));
    socket.end();
    // Whatever reads the socket now (the request, or nothing once the response has detached it) must not stall it.
    req.resume();
    socket.resume();
  };
  if (res.writableFinished) linger();
  else res.once('finish', linger);
}
