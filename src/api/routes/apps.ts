// /apps: create, list, show and destroy apps. Creating an app also routes its default host name.
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { appUrl } from '../deploy-stream.js';
import { appFor, currentUser, userMay } from '../auth-hook.js';
import { appParams, appSchema } from '../schemas.js';
import { DEFAULT_TEAM, type TeamRecord } from '../../auth/tokens.js';
import { may, roleIn } from '../../auth/access.js';
import { YbError } from '../../shared/errors.js';
import { ensureRepo } from '../../git/repos.js';
import { appCleanup, removeAppFiles } from '../app-leftovers.js';
import { redactUrl } from '../redaction.js';
import type { AppRecord } from '../../release/app-records.js';
import type { RouteRecord } from '../../store/keys.js';

export function defaultHost(ctx: ApiContext, app: string): string {
  return `${app}.${ctx.domain}`;
}

/** An app as the API shows it; a buildpack URL's credentials are hidden from callers who may not manage the app. */
export function present(ctx: ApiContext, app: AppRecord, mayManage = true) {
  const shown = !mayManage && app.buildpack && /^https?:/.test(app.buildpack) ? { ...app, buildpack: redactUrl(app.buildpack) } : app;
  return { ...shown, webUrl: appUrl(ctx, app.name), gitUrl: `${ctx.apiUrl}/git/${app.name}.git` };
}

/** Creates an app with its default route and git repository (POST /apps; review apps, src/pipelines/review-apps.ts). */
export async function makeApp(ctx: ApiContext, name: string, team: string, user: string): Promise<AppRecord> {
  const app = await ctx.apps.createApp(name, team, user);
  // A new app starts clean even if an earlier app of this name left files behind (a destroy that failed part way).
  await removeAppFiles(ctx, app.name);
  await ctx.store.put(ctx.store.keys.route(defaultHost(ctx, app.name)), { app: app.name } satisfies RouteRecord);
  // A name an app was renamed away from is free again: its old git remote no longer points elsewhere.
  await ctx.store.delete(ctx.store.keys.formerName(app.name));
  await ensureRepo(ctx.dataDir, app.name);
  ctx.log.info({ app: app.name, user }, 'app created');
  return app;
}

export function registerApps(api: FastifyInstance, ctx: ApiContext): void {
  api.get('/apps', { schema: { summary: 'List the apps you can see', response: { 200: { type: 'array', items: appSchema } } } }, async (req) => {
    const user = currentUser(req);
    // The caller's role is read once per team, not twice per app (issue #21: a thousand apps in a few teams).
    const roles = new Map<string, ReturnType<typeof roleIn>>();
    const out = [];
    for (const a of await ctx.apps.listApps()) {
      if (!roles.has(a.team)) roles.set(a.team, roleIn(user, await ctx.store.get<TeamRecord>(ctx.store.keys.team(a.team))));
      const role = roles.get(a.team)!;
      if (may(role, 'read')) out.push(present(ctx, a, may(role, 'manage')));
    }
    return out;
  });

  api.post(
    '/apps',
    {
      schema: {
        summary: 'Create an app',
        body: {
          type: 'object',
          properties: { name: { type: 'string', maxLength: 64 }, team: { type: 'string', maxLength: 64 } },
          required: ['name'],
          additionalProperties: false,
        },
        response: { 201: appSchema },
      },
    },
    async (req, reply) => {
      const user = currentUser(req);
      const body = req.body as { name: string; team?: string };
      const teamName = body.team ?? DEFAULT_TEAM;
      const team = await ctx.store.get<TeamRecord>(ctx.store.keys.team(teamName));
      if (!team || !may(roleIn(user, team), 'manage')) throw new YbError('YB_ERR_FORBIDDEN', `you cannot create apps in team "${teamName.slice(0, 64)}"`);
      const app = await makeApp(ctx, body.name, teamName, user.name);
      return reply.code(201).send(present(ctx, app));
    },
  );

  api.get('/apps/:app', { schema: { summary: 'Show an app', params: appParams, response: { 200: appSchema } } }, async (req) => {
    const app = await appFor(ctx, req, 'read');
    return present(ctx, app, await userMay(ctx, currentUser(req), app, 'manage'));
  });

  api.patch(
    '/apps/:app',
    {
      schema: {
        summary: 'Change app settings: the buildpack override (a shipped buildpack name, a tarball or git URL, an absolute path, or "" to clear)',
        params: appParams,
        body: { type: 'object', additionalProperties: false, properties: { buildpack: { type: 'string', maxLength: 500 } } },
        response: { 200: appSchema },
      },
    },
    async (req) => {
      const app = await appFor(ctx, req, 'manage');
      const { buildpack } = req.body as { buildpack?: string };
      if (buildpack !== undefined && buildpack !== '' && !/^(\/[\w./-]+|[a-z][a-z0-9-]*(\/[a-z0-9-]+)?|https?:\/\/\S+)$/.test(buildpack)) {
        throw new YbError('YB_ERR_BAD_REQUEST', `"${buildpack.slice(0, 80)}" is not a buildpack name, absolute path or URL`);
      }
      const next = await ctx.apps.updateApp(app.name, (a) => {
        const { buildpack: _old, ...rest } = a;
        return buildpack ? { ...rest, buildpack } : rest;
      });
      return present(ctx, next);
    },
  );

  api.delete(
    '/apps/:app',
    {
      schema: {
        summary:
          'Destroy an app: its processes, routes, certificates, records, git repository, build cache and logs, and the images built for it that no other app uses (never an imported image)',
        params: appParams,
      },
    },
    async (req) => {
      const app = await appFor(ctx, req, 'destroy');
      const failures = await ctx.deployer.destroy(app.name, appCleanup(ctx, app.name), () => undefined);
      ctx.log.info({ app: app.name, user: currentUser(req).name, failures }, 'app destroyed');
      return { name: app.name, destroyed: true, ...(failures.length ? { warnings: failures } : {}) };
    },
  );
}
