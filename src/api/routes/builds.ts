// /apps/{app}/builds: build records and their logs.
import { createReadStream, existsSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { appFor } from '../auth-hook.js';
import { appParams, buildSchema } from '../schemas.js';
import { YbError } from '../../shared/errors.js';

export function registerBuilds(api: FastifyInstance, ctx: ApiContext): void {
  const buildParams = {
    type: 'object',
    properties: { app: { type: 'string' }, id: { type: 'string', pattern: '^[a-z0-9]{1,40}$' } },
    required: ['app', 'id'],
  } as const;

  api.get(
    '/apps/:app/builds',
    { schema: { summary: 'Builds of an app, oldest first', params: appParams, response: { 200: { type: 'array', items: buildSchema } } } },
    async (req) => {
      const app = await appFor(ctx, req, 'read');
      return ctx.builds.list(app.name);
    },
  );

  api.get(
    '/apps/:app/builds/:id',
    { schema: { summary: 'One build record, with where its time went (phases)', params: buildParams, response: { 200: buildSchema } } },
    async (req) => {
      const app = await appFor(ctx, req, 'read');
      const b = await ctx.builds.get(app.name, (req.params as { id: string }).id);
      if (!b) throw new YbError('YB_ERR_NOT_FOUND', 'no such build');
      return b;
    },
  );

  api.get('/apps/:app/builds/:id/output', { schema: { summary: 'The full output of a build (text)', params: buildParams } }, async (req, reply) => {
    const app = await appFor(ctx, req, 'read');
    const id = (req.params as { id: string }).id;
    const path = ctx.builds.logPath(app.name, id);
    if (!(await ctx.builds.get(app.name, id)) || !existsSync(path)) throw new YbError('YB_ERR_NOT_FOUND', 'no output for that build');
    return reply.type('text/plain; charset=utf-8').send(createReadStream(path));
  });
}
