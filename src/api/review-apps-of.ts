// The review apps component of an API context (docs/architecture.md §5.6), made once per context so its per-branch
// queue is shared by every caller, with apps made and destroyed exactly as POST and DELETE /apps do; and the git
// hook's path for pushes and deletions of branches of a review parent.
import type { FastifyReply } from 'fastify';
import type { Readable } from 'node:stream';
import type { ApiContext } from './context.js';
import { streamDeploy } from './deploy-stream.js';
import { toYbError } from './errors.js';
import { appCleanup } from './app-leftovers.js';
import { makeApp } from './routes/apps.js';
import { ReviewApps } from '../pipelines/review-apps.js';
import { PipelineRecords } from '../pipelines/pipeline-records.js';
import { STATUS_FAIL, STATUS_OK } from '../shared/status-lines.js';

const made = new WeakMap<ApiContext, ReviewApps>();

/** The context's review apps component. */
export function reviewAppsOf(ctx: ApiContext): ReviewApps {
  let r = made.get(ctx);
  if (!r) {
    r = new ReviewApps({
      records: new PipelineRecords(ctx.store),
      apps: ctx.apps,
      deployer: ctx.deployer,
      services: ctx.services.manager,
      log: ctx.log.child({ component: 'review-apps' }),
      dataDir: ctx.dataDir,
      maxSourceBytes: ctx.maxSourceBytes ?? 1024 * 1024 * 1024,
      maxPerPipeline: ctx.reviewAppsMax ?? 20,
      createApp: (name, team, user) => makeApp(ctx, name, team, user),
      destroyApp: (name, out) => ctx.deployer.destroy(name, appCleanup(ctx, name), out),
    });
    made.set(ctx, r);
  }
  return r;
}

/** Streams `task`'s lines and the ok/fail status line, as deploys stream theirs (shared/status-lines.ts). */
async function streamTask(ctx: ApiContext, reply: FastifyReply, task: (out: (line: string) => void) => Promise<void>): Promise<void> {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' });
  try {
    await task((line) => raw.write(`${line}\n`));
    raw.end(`${STATUS_OK}\n`);
  } catch (err) {
    const e = toYbError(err);
    if (e.code === 'YB_ERR_INTERNAL') ctx.log.error({ err }, 'review app task failed unexpectedly');
    raw.write(`!     ${e.message}\n`);
    raw.end(`${STATUS_FAIL}\n`);
  }
}

/** A push (or deletion) of `branch` to `parent`, from the pre-receive hook, which already checked the secret. */
export async function reviewPush(
  ctx: ApiContext,
  reply: FastifyReply,
  req: { parent: string; branch: string; commit?: string; deleted: boolean; user: string; source: Readable },
): Promise<void> {
  const reviews = reviewAppsOf(ctx);
  if (req.deleted) {
    req.source.resume();
    return streamTask(ctx, reply, (out) => reviews.deleteBranch(req, out));
  }
  const p = await reviews.pipelineOfParent(req.parent);
  if (!p) {
    // Review apps were turned off after the push began: the branch is stored, nothing is deployed.
    req.source.resume();
    return streamTask(ctx, reply, async (out) => out(`Pushed ${req.branch.slice(0, 255)}; only main or master is deployed.`));
  }
  const shown = await reviews.nameFor(p, req.parent, req.branch).catch(() => req.parent);
  await streamDeploy(ctx, reply, shown, (out) => reviews.push(req, out), 'Push rejected; nothing of the review app changed.');
}
