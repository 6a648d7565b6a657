// /pipelines and /apps/{app}/pipeline, /apps/{app}/promotions (docs/architecture.md §5.6): a team's pipelines, the
// stage of each of its apps, review app settings, and promoting an app's release downstream (the same image with each
// target's own config, through each target's deploy queue). Another team's pipeline answers as a missing one.
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { appFor, currentUser, mayOnTeam } from '../auth-hook.js';
import { appParams } from '../schemas.js';
import { DEFAULT_TEAM } from '../../auth/tokens.js';
import { YbError } from '../../shared/errors.js';
import { toYbError } from '../errors.js';
import { PipelineRecords } from '../../pipelines/pipeline-records.js';
import { checkIdleHours, checkPipelineName, checkStage, promotionTargets, STAGES, type PipelineRecord } from '../../pipelines/stages.js';
import { reviewAppsOf } from '../review-apps-of.js';
import { pipelineFor, pipelineParams } from '../pipeline-access.js';

const pipelineSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    team: { type: 'string' },
    createdAt: { type: 'string' },
    createdBy: { type: 'string' },
    apps: { type: 'object', additionalProperties: { type: 'string', enum: [...STAGES] } },
    reviewApps: { type: 'object', properties: { parent: { type: 'string' }, idleHours: { type: 'number' } } },
  },
} as const;

/** Default idle time of review apps: five days, as Heroku's default. */
const DEFAULT_IDLE_HOURS = 120;

export function registerPipelines(api: FastifyInstance, ctx: ApiContext): void {
  const records = new PipelineRecords(ctx.store);

  api.get('/pipelines', { schema: { summary: 'Pipelines of your teams', response: { 200: { type: 'array', items: pipelineSchema } } } }, async (req) => {
    const user = currentUser(req);
    const visible = [];
    for (const p of await records.list()) if (await mayOnTeam(ctx, user, p.team, 'read')) visible.push(p);
    return visible;
  });

  api.post(
    '/pipelines',
    {
      schema: {
        summary: "Create a pipeline for a team's apps",
        body: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: { name: { type: 'string', maxLength: 64 }, team: { type: 'string', maxLength: 64 } },
        },
        response: { 201: pipelineSchema },
      },
    },
    async (req, reply) => {
      const user = currentUser(req);
      const body = req.body as { name: string; team?: string };
      const name = checkPipelineName(body.name);
      const team = body.team ?? DEFAULT_TEAM;
      if (!(await mayOnTeam(ctx, user, team, 'manage'))) throw new YbError('YB_ERR_FORBIDDEN', `you cannot create pipelines in team "${team.slice(0, 64)}"`);
      const rec: PipelineRecord = { name, team, createdAt: new Date().toISOString(), createdBy: user.name, apps: {} };
      if (!(await records.create(rec))) throw new YbError('YB_ERR_CONFLICT', `a pipeline named ${name} already exists`);
      return reply.code(201).send(rec);
    },
  );

  api.get('/pipelines/:pipeline', { schema: { summary: 'Show a pipeline', params: pipelineParams, response: { 200: pipelineSchema } } }, async (req) =>
    pipelineFor(ctx, req, 'read'),
  );

  api.patch(
    '/pipelines/:pipeline',
    {
      schema: {
        summary:
          "Turn review apps on (reviewApps: the parent app whose branch pushes make them, default the pipeline's development or else staging app, and idle hours) or off (null)",
        params: pipelineParams,
        body: {
          type: 'object',
          required: ['reviewApps'],
          additionalProperties: false,
          properties: {
            reviewApps: {
              type: ['object', 'null'],
              additionalProperties: false,
              properties: { parent: { type: 'string', maxLength: 64 }, idleHours: { type: 'number' } },
            },
          },
        },
        response: { 200: pipelineSchema },
      },
    },
    async (req) => {
      const p = await pipelineFor(ctx, req, 'manage');
      const { reviewApps } = req.body as { reviewApps: { parent?: string; idleHours?: number } | null };
      if (reviewApps === null) return records.update(p.name, ({ reviewApps: _off, ...rest }) => rest);
      const idleHours = checkIdleHours(reviewApps.idleHours ?? p.reviewApps?.idleHours ?? DEFAULT_IDLE_HOURS);
      const byStage = (stage: string) =>
        Object.keys(p.apps)
          .sort()
          .find((a) => p.apps[a] === stage);
      const parent = reviewApps.parent ?? p.reviewApps?.parent ?? byStage('development') ?? byStage('staging');
      if (!parent)
        throw new YbError('YB_ERR_BAD_REQUEST', `pipeline ${p.name} has no development or staging app to be the review parent; name one with -a APP`);
      const stage = p.apps[parent];
      if (!stage || stage === 'review')
        throw new YbError('YB_ERR_BAD_REQUEST', `${parent.slice(0, 64)} is not a development, staging or production app of pipeline ${p.name}`);
      return records.update(p.name, (cur) => ({ ...cur, reviewApps: { parent, idleHours } }));
    },
  );

  api.delete(
    '/pipelines/:pipeline',
    { schema: { summary: 'Destroy a pipeline: its review apps are destroyed, its other apps are kept and uncoupled', params: pipelineParams } },
    async (req) => {
      const p = await pipelineFor(ctx, req, 'destroy');
      const user = currentUser(req).name;
      const reviews = await records.reviews(p.name);
      for (const r of reviews) await reviewAppsOf(ctx).destroy(r.app, user, () => undefined);
      await records.delete(p.name);
      return { name: p.name, destroyed: true, reviewApps: reviews.map((r) => r.app) };
    },
  );

  api.put(
    '/pipelines/:pipeline/apps/:app',
    {
      schema: {
        summary: "Add an app of the pipeline's team to the pipeline at a stage (or move it to another stage)",
        params: { type: 'object', required: ['pipeline', 'app'], properties: { ...pipelineParams.properties, ...appParams.properties } },
        body: { type: 'object', required: ['stage'], additionalProperties: false, properties: { stage: { type: 'string', enum: [...STAGES] } } },
        response: { 200: pipelineSchema },
      },
    },
    async (req) => {
      const p = await pipelineFor(ctx, req, 'manage');
      const app = await appFor(ctx, req, 'manage');
      const stage = checkStage((req.body as { stage: string }).stage);
      if (app.team !== p.team)
        throw new YbError('YB_ERR_BAD_REQUEST', `${app.name} belongs to team ${app.team}; pipeline ${p.name} holds only apps of team ${p.team}`);
      const other = await records.ofApp(app.name);
      if (other && other.name !== p.name)
        throw new YbError('YB_ERR_CONFLICT', `${app.name} is in pipeline ${other.name}; remove it first (yb pipelines:remove ${app.name})`);
      return records.update(p.name, (cur) => ({ ...cur, apps: { ...cur.apps, [app.name]: stage } }));
    },
  );

  api.delete('/apps/:app/pipeline', { schema: { summary: 'Remove the app from its pipeline (the app is kept)', params: appParams } }, async (req) => {
    const app = await appFor(ctx, req, 'manage');
    const p = await records.ofApp(app.name);
    if (!p) throw new YbError('YB_ERR_NOT_FOUND', `${app.name} is in no pipeline`);
    await records.uncouple(app.name);
    return { app: app.name, pipeline: p.name, removed: true };
  });

  api.post(
    '/apps/:app/promotions',
    {
      schema: {
        summary:
          "Promote the app's current release to the next stage's apps (or those named in `to`): the same image, each target's own config, a new release rolled out in each",
        params: appParams,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { to: { type: 'array', maxItems: 20, items: { type: 'string', maxLength: 64 } } },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              from: { type: 'object', properties: { app: { type: 'string' }, release: { type: 'integer' } } },
              stage: { type: 'string' },
              to: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { app: { type: 'string' }, release: { type: 'integer' }, seconds: { type: 'number' }, error: { type: 'string' } },
                },
              },
            },
          },
        },
      },
    },
    async (req) => {
      const app = await appFor(ctx, req, 'deploy');
      const user = currentUser(req);
      const p = await records.ofApp(app.name);
      if (!p) throw new YbError('YB_ERR_BAD_REQUEST', `${app.name} is in no pipeline; add it with yb pipelines:add ${app.name} -p PIPELINE --stage STAGE`);
      const targets = promotionTargets(p, app.name, (req.body as { to?: string[] } | undefined)?.to);
      const source = await ctx.apps.getRelease(app.name, app.currentRelease);
      if (!source) throw new YbError('YB_ERR_NO_RELEASE', `${app.name} has no release to promote; deploy it first`);
      for (const t of targets.apps) {
        const target = await ctx.apps.getApp(t);
        // A pipeline holds only its team's apps; checked again here, as the target is about to run this team's image.
        if (!target || target.team !== app.team) throw new YbError('YB_ERR_BAD_REQUEST', `${t} is not an app of team ${app.team}`);
        if (!(await mayOnTeam(ctx, user, target.team, 'deploy'))) throw new YbError('YB_ERR_FORBIDDEN', `your role does not allow deploy on ${t}`);
      }
      // Each target through its own deploy queue, side by side.
      const results = await Promise.all(
        targets.apps.map(async (t) => {
          const started = Date.now();
          try {
            const rel = await ctx.deployer.promote({ app: t, source, user: user.name }, () => undefined);
            return { app: t, release: rel.version, seconds: (Date.now() - started) / 1000 };
          } catch (err) {
            return { app: t, error: toYbError(err).message };
          }
        }),
      );
      return { from: { app: app.name, release: source.version }, stage: targets.stage, to: results };
    },
  );
}
