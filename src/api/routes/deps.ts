// /apps/{app}/deps: app-to-app dependencies within a team (OTHER_URL/_HOST/_PORT on the app, in a new release).
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { appFor, currentUser } from '../auth-hook.js';
import { appParams } from '../schemas.js';

export function registerDeps(api: FastifyInstance, ctx: ApiContext): void {
  api.get(
    '/apps/:app/deps',
    { schema: { summary: 'Dependencies of an app, the apps depending on it, and cycles through it', params: appParams } },
    async (req) => {
      const app = await appFor(ctx, req, 'read');
      return ctx.services.deps.view(app.name);
    },
  );

  api.post(
    '/apps/:app/deps',
    {
      schema: {
        summary: 'Make the app depend on another app of its team: sets OTHER_URL, OTHER_HOST, OTHER_PORT in a new release',
        params: appParams,
        body: { type: 'object', properties: { app: { type: 'string', maxLength: 64 } }, required: ['app'], additionalProperties: false },
      },
    },
    async (req, reply) => {
      const app = await appFor(ctx, req, 'manage');
      const r = await ctx.services.deps.add({ app: app.name, other: (req.body as { app: string }).app, user: currentUser(req).name }, () => undefined);
      if (r.release) reply.header('x-yb-release', String(r.release));
      return reply.code(201).send({ ...r.dep, release: r.release ?? null, cycles: r.cycles });
    },
  );

  api.delete(
    '/apps/:app/deps/:other',
    {
      schema: {
        summary: 'Remove a dependency: unsets exactly the vars it set, in a new release',
        params: {
          type: 'object',
          properties: { app: { type: 'string', maxLength: 64 }, other: { type: 'string', maxLength: 64 } },
          required: ['app', 'other'],
        },
      },
    },
    async (req, reply) => {
      const app = await appFor(ctx, req, 'manage');
      const r = await ctx.services.deps.remove({ app: app.name, other: (req.params as { other: string }).other, user: currentUser(req).name }, () => undefined);
      if (r.release) reply.header('x-yb-release', String(r.release));
      return { app: app.name, other: (req.params as { other: string }).other, removed: r.removed, release: r.release ?? null };
    },
  );
}
