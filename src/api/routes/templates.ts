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
import { ACCOUNT_EVENTS, recordEvent } from '../../auth/audit.js';
import type { Template, TemplateCatalogue } from '../../templates/catalogue.js';
import type { ThirdPartyCatalogues } from '../../templates/third-party.js';

const templateSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    description: { type: 'string' },
    services: { type: 'array', items: { type: 'string' } },
    config: { type: 'object', additionalProperties: { type: 'string' } },
  },
} as const;

const catalogueSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    url: { type: 'string' },
    ref: { type: 'string' },
    commit: { type: 'string' },
    fetchedAt: { type: 'string' },
    templates: { type: 'array', items: { type: 'string' } },
    refused: { type: 'array', items: { type: 'object', properties: { template: { type: 'string' }, reason: { type: 'string' } } } },
    output: { type: 'array', items: { type: 'string' } },
  },
} as const;
const catalogueParams = { type: 'object', required: ['name'], properties: { name: { type: 'string', maxLength: 64 } } } as const;

export function registerTemplates(api: FastifyInstance, ctx: ApiContext): void {
  const catalogue = (): TemplateCatalogue => {
    if (!ctx.templates) throw new YbError('YB_ERR_INTERNAL', 'this control plane has no template catalogue');
    return ctx.templates;
  };
  const thirdParty = (): ThirdPartyCatalogues => {
    if (!ctx.catalogues) throw new YbError('YB_ERR_INTERNAL', 'this control plane keeps no template catalogues');
    return ctx.catalogues;
  };
  // `<catalogue>/<template>` is a third-party one (docs/architecture.md §5.3); a plain name is shipped.
  const resolve = (name: string): { template: Template; source: () => ReturnType<TemplateCatalogue['source']> } =>
    name.includes('/') ? thirdParty().get(name) : { template: catalogue().get(name), source: () => catalogue().source(name) };
  const requireAdmin = (req: Parameters<typeof currentUser>[0]) => {
    if (!currentUser(req).admin) throw new YbError('YB_ERR_FORBIDDEN', 'only platform administrators add, refresh or remove template catalogues');
  };
  // Account-level audit events; the record's URL is already without credentials.
  const audit = (req: Parameters<typeof currentUser>[0], action: string, detail: Record<string, unknown>) =>
    recordEvent(ctx.store, { team: ACCOUNT_EVENTS, user: currentUser(req).name, action, ip: req.ip, detail }, ctx.log);

  api.get(
    '/templates',
    { schema: { summary: 'Ready apps to deploy (yb apps:create NAME --template T)', response: { 200: { type: 'array', items: templateSchema } } } },
    async () => [...catalogue().list(), ...(ctx.catalogues?.templates() ?? [])],
  );

  api.get(
    '/templates/catalogues',
    {
      schema: {
        summary: 'Third-party template catalogues: URL, pinned commit, templates and the ones refused',
        response: { 200: { type: 'array', items: catalogueSchema } },
      },
    },
    async () => thirdParty().list(),
  );

  api.post(
    '/templates/catalogues',
    {
      schema: {
        summary: 'Add a template catalogue (administrators): a git repository laid out like templates/, fetched once and pinned to the commit',
        body: {
          type: 'object',
          required: ['name', 'url'],
          additionalProperties: false,
          properties: { name: { type: 'string', maxLength: 64 }, url: { type: 'string', maxLength: 2048 }, ref: { type: 'string', maxLength: 200 } },
        },
        response: { 201: catalogueSchema },
      },
    },
    async (req, reply) => {
      requireAdmin(req);
      const { name, url, ref } = req.body as { name: string; url: string; ref?: string };
      const output: string[] = [];
      const record = await thirdParty().add(name, url, ref ?? '', (l) => output.push(l));
      await audit(req, 'template-catalogue.add', { name, url: record.url, commit: record.commit });
      return reply.code(201).send({ ...record, output });
    },
  );

  api.post(
    '/templates/catalogues/:name/refreshes',
    {
      schema: {
        summary: "Fetch a catalogue's ref again and pin the new commit (administrators); a private one takes its URL with credentials again",
        params: catalogueParams,
        body: { type: 'object', additionalProperties: false, properties: { url: { type: 'string', maxLength: 2048 } } },
        response: { 200: catalogueSchema },
      },
    },
    async (req) => {
      requireAdmin(req);
      const output: string[] = [];
      const record = await thirdParty().refresh((req.params as { name: string }).name, (req.body as { url?: string } | undefined)?.url, (l) => output.push(l));
      await audit(req, 'template-catalogue.refresh', { name: record.name, commit: record.commit });
      return { ...record, output };
    },
  );

  api.delete(
    '/templates/catalogues/:name',
    {
      schema: {
        summary: 'Remove a template catalogue (administrators); apps deployed from it keep running',
        params: catalogueParams,
        response: { 200: { type: 'object', properties: { name: { type: 'string' } } } },
      },
    },
    async (req) => {
      requireAdmin(req);
      const { name } = req.params as { name: string };
      await thirdParty().remove(name);
      await audit(req, 'template-catalogue.remove', { name });
      return { name };
    },
  );

  api.post(
    '/apps/:app/template-deploys',
    {
      schema: {
        summary:
          'Deploy a template into the app: create and link its services (<app>-<kind>) in the app\'s team, set its config, then build and release its source; streams the output as text, ending with a line "\\u0000ok" or "\\u0000fail"',
        params: appParams,
        body: { type: 'object', required: ['template'], additionalProperties: false, properties: { template: { type: 'string', maxLength: 100 } } },
        produces: ['text/plain'],
      },
    },
    async (req, reply) => {
      // Creating and linking services is a manager's change, beyond a deploy.
      const app = await appFor(ctx, req, 'manage');
      const resolved = resolve((req.body as { template: string }).template);
      const t = resolved.template;
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
        const source = resolved.source();
        source.on('error', () => undefined); // the build reads this stream and reports its error
        return ctx.deployer.deploySource({ app: app.name, source, user }, out);
      });
      closeWhenAnswered(req.raw, reply.raw);
    },
  );
}
