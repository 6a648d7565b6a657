// GET/POST /pipelines/{pipeline}/review-apps and DELETE …/{app} (docs/architecture.md §5.6); idle review apps are
// swept while the API runs. Pushes of branches reach review apps through the git hook (api/review-apps-of.ts).
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { currentUser } from '../auth-hook.js';
import { streamDeploy } from '../deploy-stream.js';
import { closeWhenAnswered } from './git-hook.js';
import { pipelineFor, pipelineParams } from '../pipeline-access.js';
import { reviewAppsOf } from '../review-apps-of.js';
import { PipelineRecords } from '../../pipelines/pipeline-records.js';
import { YbError } from '../../shared/errors.js';

const reviewSchema = {
  type: 'object',
  properties: {
    app: { type: 'string' },
    pipeline: { type: 'string' },
    parent: { type: 'string' },
    branch: { type: 'string' },
    createdAt: { type: 'string' },
    createdBy: { type: 'string' },
    lastPushAt: { type: 'string' },
    services: { type: 'array', items: { type: 'string' } },
  },
} as const;

export function registerReviewApps(api: FastifyInstance, ctx: ApiContext): void {
  api.get(
    '/pipelines/:pipeline/review-apps',
    { schema: { summary: "The pipeline's review apps", params: pipelineParams, response: { 200: { type: 'array', items: reviewSchema } } } },
    async (req) => {
      const p = await pipelineFor(ctx, req, 'read');
      return new PipelineRecords(ctx.store).reviews(p.name);
    },
  );

  api.post(
    '/pipelines/:pipeline/review-apps',
    {
      schema: {
        summary:
          'Create (or redeploy) the review app of a branch already pushed to the review parent; streams the output as text, ending with a line "\\u0000ok" or "\\u0000fail"',
        params: pipelineParams,
        body: { type: 'object', required: ['branch'], additionalProperties: false, properties: { branch: { type: 'string', minLength: 1, maxLength: 255 } } },
        produces: ['text/plain'],
      },
    },
    async (req, reply) => {
      const p = await pipelineFor(ctx, req, 'deploy');
      const { branch } = req.body as { branch: string };
      const reviews = reviewAppsOf(ctx);
      const shown = p.reviewApps ? await reviews.nameFor(p, p.reviewApps.parent, branch).catch(() => p.reviewApps!.parent) : p.name;
      await streamDeploy(ctx, reply, shown, (out) => reviews.createFromBranch({ pipeline: p.name, branch, user: currentUser(req).name }, out));
      closeWhenAnswered(req.raw, reply.raw);
    },
  );

  api.delete(
    '/pipelines/:pipeline/review-apps/:app',
    {
      schema: {
        summary: 'Destroy a review app of the pipeline and its services',
        params: { type: 'object', required: ['pipeline', 'app'], properties: { ...pipelineParams.properties, app: { type: 'string', maxLength: 64 } } },
      },
    },
    async (req) => {
      const p = await pipelineFor(ctx, req, 'deploy');
      const name = (req.params as { app: string }).app;
      const rec = await new PipelineRecords(ctx.store).review(name);
      if (!rec || rec.pipeline !== p.name) throw new YbError('YB_ERR_NOT_FOUND', `${name.slice(0, 64)} is not a review app of ${p.name}`);
      await reviewAppsOf(ctx).destroy(rec.app, currentUser(req).name, () => undefined);
      return { app: rec.app, branch: rec.branch, destroyed: true, services: rec.services };
    },
  );

  // Idle review apps, destroyed every YB_REVIEW_APPS_SWEEP seconds while the API runs.
  const every = (ctx.reviewSweepSeconds ?? 60) * 1000;
  if (every > 0) {
    let sweeping = false;
    const timer = setInterval(() => {
      if (sweeping) return;
      sweeping = true;
      reviewAppsOf(ctx)
        .sweep()
        .then(
          (gone) => gone.length && ctx.log.info({ apps: gone }, 'idle review apps destroyed'),
          (err: unknown) => ctx.log.warn({ err }, 'looking for idle review apps failed; trying again later'),
        )
        .finally(() => (sweeping = false));
    }, every).unref();
    api.addHook('onClose', async () => clearInterval(timer));
  }
}
