// /apps/{app}/config-vars: read and change config; a change on a running app makes a release and rolls it out.
// Viewers get the names with every value hidden (as the Heroku Platform API's read-only members do not see them).
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { appFor, currentUser, userMay } from '../auth-hook.js';
import { appParams } from '../schemas.js';
import { HIDDEN_HEADER, maskConfig } from '../redaction.js';

export function registerConfig(api: FastifyInstance, ctx: ApiContext): void {
  const vars = { type: 'object', additionalProperties: { type: 'string' } } as const;

  api.get(
    '/apps/:app/config-vars',
    {
      schema: { summary: 'Config vars of an app (to viewers: the names, each value replaced by "<hidden>")', params: appParams, response: { 200: vars } },
    },
    async (req, reply) => {
      const app = await appFor(ctx, req, 'read');
      const config = await ctx.apps.getConfig(app.name);
      if (await userMay(ctx, currentUser(req), app, 'manage')) return config;
      reply.header(HIDDEN_HEADER, 'true');
      return maskConfig(config);
    },
  );

  api.patch(
    '/apps/:app/config-vars',
    {
      schema: {
        summary: 'Set (string) or unset (null) config vars; makes a release when the app is running',
        params: appParams,
        body: { type: 'object', additionalProperties: { type: ['string', 'null'], maxLength: 32768 }, maxProperties: 200 },
        response: { 200: vars },
      },
    },
    async (req, reply) => {
      const app = await appFor(ctx, req, 'manage');
      const lines: string[] = [];
      const result = await ctx.deployer.changeConfig(app.name, req.body as Record<string, string | null>, currentUser(req).name, (l) => lines.push(l));
      if (result.release) reply.header('x-yb-release', String(result.release.version));
      return result.vars;
    },
  );
}
