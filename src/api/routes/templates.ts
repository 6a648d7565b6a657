// /templates and /apps/{app}/template-deploys: the catalogue of ready apps (src/templates/) and deploying one into
// an app: its backing services are created in the app's team (`<app>-<kind>`, reused when they exist) and linked,
// its config is set where the app has none, then its source is built and released like an upload, the output
// streamed back as builds are.
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { appFor, currentUser } from '../auth-hook.js';
import { appParams } from '../schemas.js';
import { streamDeploy } from '../deploy-stream.js';
import { closeWhenAnswered } from './git-hook.js';
import { YbError } from '../../shared/errors.js';
import type { TemplateCatalogue } from '../../templates/catalogue.js';

const templateSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    description: { type: 'string' },
    services: { type: 'array', items: { type: 'string' } },
    config: { type: 'object', additionalProperties: { type: 'string' } },
  },
} as const;

export function registerTemplates(api: FastifyInstance, ctx: ApiContext): void {
  const catalogue = (): TemplateCatalogue => {
    if (!ctx.templates) throw new YbError('YB_ERR_INTERNAL', 'this control plane has no template catalogue');
    return ctx.templates;
  };

  api.get(
    '/templates',
    { schema: { summary: 'Ready apps to deploy (yb apps:create NAME --template T)', response: { 200: { type: 'array', items: templateSchema } } } },
    async () => catalogue().list(),
  );

  api.post(
    '/apps/:app/template-deploys',
    {
      schema: {
        summary:
          'Deploy a template into the app: create and link its services (<app>-<kind>) in the app\'s team, set its config, then build and release its source; streams the output as text, ending with a line "\\u0000ok" or "\\u0000fail"',
        params: appParams,
        body: { type: 'object', required: ['template'], additionalProperties: false, properties: { template: { type: 'string', maxLength: 64 } } },
        produces: ['text/plain'],
      },
    },
    async (req, reply) => {
      // Creating and linking services is a manager's change, beyond a deploy.
      const app = await appFor(ctx, req, 'manage');
      const t = catalogue().get((req.body as { template: string }).template);
      const user = currentUser(req).name;
      await streamDeploy(ctx, reply, app.name, async (out) => {
        out(`-----> Template ${t.name}: ${t.description}`);
        const manager = ctx.services.manager;
        for (const kind of t.services) {
          const name = `${app.name}-${kind}`;
          const existing = await manager.get(name);
          if (existing && existing.team !== app.team) throw new YbError('YB_ERR_CONFLICT', `a service named ${name} belongs to another team`);
          if (!existing) {
            out(`-----> Creating ${kind} service ${name}`);
            await manager.create({ kind, name, team: app.team, user }, out);
          }
          if (!(existing?.links ?? []).some((l) => l.app === app.name)) {
            out(`-----> Linking ${name} to ${app.name}`);
            await manager.link({ name, app: app.name, user }, out);
          }
        }
        const config = await ctx.apps.getConfig(app.name);
        const missing = Object.fromEntries(Object.entries(t.config).filter(([k]) => !(k in config)));
        if (Object.keys(missing).length) {
          out(`-----> Setting ${Object.keys(missing).join(', ')}`);
          await ctx.deployer.changeConfig(app.name, missing, user, out);
        }
        const source = catalogue().source(t.name);
        source.on('error', () => undefined); // the build reads this stream and reports its error
        return ctx.deployer.deploySource({ app: app.name, source, user }, out);
      });
      closeWhenAnswered(req.raw, reply.raw);
    },
  );
}
