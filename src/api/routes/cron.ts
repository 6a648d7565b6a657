// /apps/{app}/cron: the app.json `cron` jobs of the app's current release (src/cron/), their next and last runs, and
// running one now (`yb cron:run ID`, authorised like `yb run`).
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { appFor } from '../auth-hook.js';
import { appParams } from '../schemas.js';
import { YbError } from '../../shared/errors.js';

const runSchema = {
  type: 'object',
  properties: {
    trigger: { type: 'string' },
    startedAt: { type: 'string' },
    finishedAt: { type: 'string' },
    durationMs: { type: 'number' },
    exitCode: { type: ['number', 'null'] },
    status: { type: 'string' },
    error: { type: 'string' },
  },
} as const;

const jobSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    schedule: { type: 'string' },
    command: { type: 'string' },
    next: { type: ['string', 'null'] },
    running: { type: 'boolean' },
    state: {
      type: 'object',
      properties: {
        last: runSchema,
        missed: { type: 'object', properties: { count: { type: 'number' }, last: { type: 'string' }, noticedAt: { type: 'string' } } },
        skipped: { type: 'number' },
      },
    },
  },
} as const;

export function registerCron(api: FastifyInstance, ctx: ApiContext): void {
  const runner = () => {
    if (!ctx.cron) throw new YbError('YB_ERR_INTERNAL', 'cron jobs are not run by this control plane');
    return ctx.cron;
  };

  api.get(
    '/apps/:app/cron',
    {
      schema: {
        summary: "The app's cron jobs (app.json cron of its current release): schedule, command, next run (UTC), last run",
        params: appParams,
        response: { 200: { type: 'array', items: jobSchema } },
      },
    },
    async (req) => {
      const app = await appFor(ctx, req, 'read');
      return runner().list(app.name);
    },
  );

  api.post(
    '/apps/:app/cron/:id/runs',
    {
      schema: {
        summary: 'Run a cron job now (it runs in the background; its output goes to the app log as cron.<id>)',
        params: {
          type: 'object',
          required: ['app', 'id'],
          // The id is checked against the app's jobs after authorisation: another team's app answers as a missing one.
          properties: { app: appParams.properties.app, id: { type: 'string', maxLength: 64 } },
        },
        response: { 202: { type: 'object', properties: { id: { type: 'string' }, command: { type: 'string' }, started: { type: 'boolean' } } } },
      },
    },
    async (req, reply) => {
      const app = await appFor(ctx, req, 'deploy');
      const job = await runner().runNow(app.name, (req.params as { id: string }).id);
      return reply.code(202).send({ id: job.id, command: job.command, started: true });
    },
  );
}
