// /services: backing services (create, attach by URL, list, info, restart, destroy), their links to apps,
// and backups (scheduled, off-site: docs/architecture.md §5.4). A service belongs to a team: members read it, managers see credentials and change it.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiContext } from '../context.js';
import { currentUser, mayOnTeam, userMay } from '../auth-hook.js';
import type { Action } from '../../auth/access.js';
import { DEFAULT_TEAM, type User } from '../../auth/tokens.js';
import { YbError } from '../../shared/errors.js';
import { isServiceKind, SERVICE_KINDS } from '../../services/kinds.js';
import { connectionUrl } from '../../services/bindings.js';
import type { ServiceRecord } from '../../services/records.js';

const nameParams = { type: 'object', properties: { name: { type: 'string', maxLength: 64 } }, required: ['name'] } as const;

/** Loads the named service and checks the caller may do `action`; 404 when it may not even read it. */
async function serviceFor(ctx: ApiContext, req: FastifyRequest, action: Action): Promise<ServiceRecord> {
  const user = currentUser(req);
  const name = (req.params as { name: string }).name;
  const s = await ctx.services.manager.get(name);
  if (!s || !(await mayOnTeam(ctx, user, s.team, 'read'))) throw new YbError('YB_ERR_NOT_FOUND', `no service named "${name.slice(0, 64)}"`);
  if (!(await mayOnTeam(ctx, user, s.team, action))) throw new YbError('YB_ERR_FORBIDDEN', `your role does not allow ${action} on ${s.name}`);
  return s;
}

/** What a user sees of a service: credentials (URL, user, password) only when they may manage it. */
async function present(ctx: ApiContext, s: ServiceRecord, withCredentials: boolean) {
  const { connection: c, links, ...rest } = s;
  const connection = withCredentials ? { ...c, url: c.url ?? connectionUrl(c) } : { scheme: c.scheme, host: c.host, port: c.port, database: c.database };
  return {
    ...rest,
    state: await ctx.services.manager.state(s),
    connection,
    links: links.map((l) => ({ app: l.app, alias: l.alias, keys: l.keys, createdAt: l.createdAt })),
    // The backup schedule and off-site target, to those who may manage it (never the store's keys).
    ...(withCredentials && s.origin === 'provisioned' ? { backups: await ctx.services.backups.view(s.name) } : {}),
  };
}

export function registerServices(api: FastifyInstance, ctx: ApiContext): void {
  const m = () => ctx.services.manager;

  api.get('/services', { schema: { summary: 'List the backing services you can see' } }, async (req) => {
    const user = currentUser(req);
    const out = [];
    for (const s of await m().list()) if (await mayOnTeam(ctx, user, s.team, 'read')) out.push(await present(ctx, s, false));
    return out;
  });

  api.post(
    '/services',
    {
      schema: {
        summary: 'Create a service (kind: postgres, redis, mysql), or attach an external resource (url); answers when it is ready',
        body: {
          type: 'object',
          properties: {
            name: { type: 'string', maxLength: 64 },
            kind: { type: 'string', enum: [...SERVICE_KINDS] },
            url: { type: 'string', maxLength: 2048 },
            team: { type: 'string', maxLength: 64 },
          },
          required: ['name'],
          additionalProperties: false,
        },
      },
    },
    async (req, reply) => {
      const user = currentUser(req);
      const body = req.body as { name: string; kind?: string; url?: string; team?: string };
      const team = body.team ?? DEFAULT_TEAM;
      if (!(await mayOnTeam(ctx, user, team, 'manage'))) throw new YbError('YB_ERR_FORBIDDEN', `you cannot create services in team "${team.slice(0, 64)}"`);
      if ((body.kind === undefined) === (body.url === undefined)) throw new YbError('YB_ERR_BAD_REQUEST', 'give either kind (postgres, redis, mysql) or url');
      const s =
        body.url !== undefined
          ? await m().attach({ name: body.name, url: body.url, team, user: user.name })
          : isServiceKind(body.kind!)
            ? await m().create({ kind: body.kind, name: body.name, team, user: user.name }, () => undefined)
            : null;
      if (!s) throw new YbError('YB_ERR_BAD_REQUEST', `unknown service kind "${String(body.kind).slice(0, 32)}"`);
      return reply.code(201).send(await present(ctx, s, true));
    },
  );

  api.get('/services/:name', { schema: { summary: 'Show a service (credentials only to those who may manage it)', params: nameParams } }, async (req) => {
    const s = await serviceFor(ctx, req, 'read');
    return present(ctx, s, await mayOnTeam(ctx, currentUser(req), s.team, 'manage'));
  });

  api.delete(
    '/services/:name',
    {
      schema: {
        summary: 'Destroy a service: container and volume (refused while linked unless force=true, which unlinks first)',
        params: nameParams,
        querystring: { type: 'object', properties: { force: { type: 'string', enum: ['true', 'false'] } } },
      },
    },
    async (req) => {
      const s = await serviceFor(ctx, req, 'destroy');
      await m().destroy({ name: s.name, force: (req.query as { force?: string }).force === 'true', user: currentUser(req).name }, () => undefined);
      return { name: s.name, destroyed: true };
    },
  );

  api.post('/services/:name/restart', { schema: { summary: 'Restart a service and wait until it is ready', params: nameParams } }, async (req) => {
    const s = await serviceFor(ctx, req, 'manage');
    await m().restart(s.name);
    return { name: s.name, state: await m().state(s) };
  });

  api.post(
    '/services/:name/links',
    {
      schema: {
        summary: 'Link a service to an app: sets <ALIAS>_URL, _HOST, _PORT, _USER, _PASSWORD, _NAME in a new release',
        params: nameParams,
        body: {
          type: 'object',
          properties: { app: { type: 'string', maxLength: 64 }, as: { type: 'string', maxLength: 64 } },
          required: ['app'],
          additionalProperties: false,
        },
      },
    },
    async (req, reply) => {
      const s = await serviceFor(ctx, req, 'manage');
      const body = req.body as { app: string; as?: string };
      await requireAppManage(ctx, currentUser(req), body.app);
      const r = await m().link({ name: s.name, app: body.app, alias: body.as, user: currentUser(req).name }, () => undefined);
      if (r.release) reply.header('x-yb-release', String(r.release));
      return reply.code(201).send({ service: s.name, ...r.link, release: r.release ?? null });
    },
  );

  api.delete(
    '/services/:name/links/:app',
    {
      schema: {
        summary: 'Unlink a service from an app: removes exactly the vars the link set, in a new release',
        params: { type: 'object', properties: { name: { type: 'string', maxLength: 64 }, app: { type: 'string', maxLength: 64 } }, required: ['name', 'app'] },
        querystring: { type: 'object', properties: { as: { type: 'string', maxLength: 64 } } },
      },
    },
    async (req, reply) => {
      const s = await serviceFor(ctx, req, 'manage');
      const { app } = req.params as { app: string };
      await requireAppManage(ctx, currentUser(req), app);
      const r = await m().unlink({ name: s.name, app, alias: (req.query as { as?: string }).as, user: currentUser(req).name }, () => undefined);
      if (r.release) reply.header('x-yb-release', String(r.release));
      return { service: s.name, app, removed: r.removed, release: r.release ?? null };
    },
  );

  api.get(
    '/services/:name/backups',
    { schema: { summary: 'Backups of a service, oldest first: local files and off-site copies (local, offsite)', params: nameParams } },
    async (req, reply) => {
      const s = await serviceFor(ctx, req, 'manage');
      const { backups, offsiteError } = await ctx.services.backups.list(s.name);
      if (offsiteError) reply.header('x-yb-offsite-error', encodeURIComponent(offsiteError));
      return backups;
    },
  );

  api.post(
    '/services/:name/backups',
    {
      schema: {
        summary: 'Back up a service now (pg_dump, mysqldump or Redis RDB), copy it off-site when a store is set, apply retention',
        params: nameParams,
      },
    },
    async (req, reply) => {
      const s = await serviceFor(ctx, req, 'manage');
      return reply.code(201).send(await ctx.services.backups.take(s.name, 'manual', currentUser(req).name));
    },
  );

  api.get(
    '/services/:name/backups/plan',
    { schema: { summary: 'The backup schedule, retention, off-site target and last run of a service', params: nameParams } },
    async (req) => ctx.services.backups.view((await serviceFor(ctx, req, 'manage')).name),
  );

  api.put(
    '/services/:name/backups/schedule',
    {
      schema: {
        summary: 'Back a service up on a cron schedule (UTC), keeping the newest N locally and off-site; to: s3://bucket/prefix',
        params: nameParams,
        body: {
          type: 'object',
          properties: {
            schedule: { type: 'string', maxLength: 200 },
            keep: { type: 'integer', minimum: 1, maximum: 1000 },
            to: { type: 'string', maxLength: 1024 },
          },
          required: ['schedule', 'keep'],
          additionalProperties: false,
        },
      },
    },
    async (req) => {
      const s = await serviceFor(ctx, req, 'manage');
      const body = req.body as { schedule: string; keep: number; to?: string };
      return ctx.services.backups.setSchedule(s.name, { expr: body.schedule, keep: body.keep, to: body.to, user: currentUser(req).name });
    },
  );

  api.delete('/services/:name/backups/schedule', { schema: { summary: 'Stop the scheduled backups of a service', params: nameParams } }, async (req) =>
    ctx.services.backups.clearSchedule((await serviceFor(ctx, req, 'manage')).name, currentUser(req).name),
  );

  api.put(
    '/services/:name/backups/remote',
    {
      schema: {
        summary: 'Set the S3-compatible store for off-site copies (checked by listing it; the keys are kept sealed and never shown)',
        params: nameParams,
        body: {
          type: 'object',
          properties: {
            to: { type: 'string', maxLength: 1024 },
            endpoint: { type: 'string', maxLength: 500 },
            region: { type: 'string', maxLength: 40 },
            accessKeyId: { type: 'string', maxLength: 256 },
            secretAccessKey: { type: 'string', maxLength: 256 },
          },
          required: ['to', 'endpoint', 'accessKeyId', 'secretAccessKey'],
          additionalProperties: false,
        },
      },
    },
    async (req) => {
      const s = await serviceFor(ctx, req, 'manage');
      const b = req.body as { to: string; endpoint: string; region?: string; accessKeyId: string; secretAccessKey: string };
      return ctx.services.backups.setRemote(s.name, { ...b, region: b.region ?? 'us-east-1', user: currentUser(req).name });
    },
  );

  api.delete(
    '/services/:name/backups/remote',
    { schema: { summary: 'Forget the off-site store of a service (copies already there stay)', params: nameParams } },
    async (req) => ctx.services.backups.clearRemote((await serviceFor(ctx, req, 'manage')).name, currentUser(req).name),
  );

  api.post(
    '/services/:name/backups/:backup/restore',
    {
      schema: {
        summary: 'Replace the data of a service with a backup',
        params: {
          type: 'object',
          properties: { name: { type: 'string', maxLength: 64 }, backup: { type: 'string', maxLength: 64 } },
          required: ['name', 'backup'],
        },
      },
    },
    async (req) => {
      const s = await serviceFor(ctx, req, 'manage');
      const { backup } = req.params as { backup: string };
      const { from } = await ctx.services.backups.restore(s.name, backup);
      return { service: s.name, restored: backup, from };
    },
  );
}

async function requireAppManage(ctx: ApiContext, user: User, name: string): Promise<void> {
  const app = await ctx.apps.getApp(name);
  if (!app || !(await userMay(ctx, user, app, 'read'))) throw new YbError('YB_ERR_APP_NOT_FOUND', `no app named "${name.slice(0, 64)}"`);
  if (!(await userMay(ctx, user, app, 'manage'))) throw new YbError('YB_ERR_FORBIDDEN', `your role does not allow manage on ${app.name}`);
}
