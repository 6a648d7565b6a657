// GET /events: the audit trail of the teams you belong to; and the audit hooks that record who changed which
// app, when and from where, for every state-changing API route (keys of config vars only, never values),
// deploys (through the git hook) and pushes over HTTP.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiContext } from '../context.js';
import { currentUser, userMay } from '../auth-hook.js';
import { ACCOUNT_EVENTS, listEvents, recordEvent } from '../../auth/audit.js';
import { authenticate, DEFAULT_TEAM } from '../../auth/tokens.js';
import { teamsOf } from '../../auth/teams.js';
import { YbError } from '../../shared/errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    auditTeam?: string;
  }
}

type Describe = (req: FastifyRequest) => { action: string; detail?: Record<string, unknown> };

/** What a successful call of a route means in the audit trail. Routes not listed get a generic entry. */
const AUDITED: Record<string, Describe> = {
  'POST /apps': () => ({ action: 'app.create' }),
  'DELETE /apps/:app': () => ({ action: 'app.destroy' }),
  'POST /apps/:app/rename': (req) => ({ action: 'app.rename', detail: { from: appParam(req) } }),
  'PATCH /apps/:app/config-vars': (req) => {
    const body = (req.body ?? {}) as Record<string, string | null>;
    const set = Object.keys(body).filter((k) => body[k] !== null);
    const unset = Object.keys(body).filter((k) => body[k] === null);
    return { action: set.length ? 'config.set' : 'config.unset', detail: { set, unset } };
  },
  'POST /apps/:app/releases': (req) => ({ action: 'rollback', detail: { to: (req.body as { release?: number } | undefined)?.release ?? 'previous' } }),
  'PATCH /apps/:app/formation': (req) => ({ action: 'scale', detail: { updates: (req.body as { updates?: unknown })?.updates } }),
  'DELETE /apps/:app/dynos': (req) => ({ action: 'restart', detail: { type: (req.query as { type?: string }).type ?? 'all' } }),
  'PUT /apps/:app/autoscale/:type': (req) => ({ action: 'autoscale.set', detail: { type: (req.params as { type: string }).type, ...(req.body as object) } }),
  'DELETE /apps/:app/autoscale/:type': (req) => ({ action: 'autoscale.unset', detail: { type: (req.params as { type: string }).type } }),
  'PUT /apps/:app/maintenance': (req) => {
    const body = req.body as { enabled?: boolean; page?: string };
    return { action: body.enabled ? 'maintenance.on' : 'maintenance.off', detail: { customPage: body.page !== undefined } };
  },
};

const MY_ROUTES = /^\/(teams|users|login|tokens|keys|account|admin|events)(\/|$)/;

function routeOf(req: FastifyRequest): string {
  return req.routeOptions?.url ?? '';
}

function appParam(req: FastifyRequest): string | undefined {
  return (req.params as { app?: string } | undefined)?.app;
}

/** Generic description of a change: method and route; body keys only. */
function generic(req: FastifyRequest): { action: string; detail?: Record<string, unknown> } {
  const body = req.body;
  const keys = body && typeof body === 'object' && !Array.isArray(body) ? Object.keys(body).slice(0, 20) : undefined;
  return { action: `${req.method} ${routeOf(req)}`, detail: keys ? { fields: keys } : undefined };
}

export function registerEvents(api: FastifyInstance, ctx: ApiContext): void {
  api.get(
    '/events',
    {
      schema: {
        summary: 'Audit events of your teams, newest first (app changes, deploys, members, tokens)',
        querystring: {
          type: 'object',
          properties: { app: { type: 'string', maxLength: 64 }, limit: { type: 'string', pattern: '^[1-9][0-9]{0,2}$|^1000$' } },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                id: { type: 'string' },
                at: { type: 'string' },
                team: { type: 'string' },
                user: { type: 'string' },
                action: { type: 'string' },
                app: { type: 'string' },
                ip: { type: 'string' },
                detail: { type: 'object', additionalProperties: true },
              },
            },
          },
        },
      },
    },
    async (req) => {
      const user = currentUser(req);
      const raw = req.query as { app?: string; limit?: string };
      const q = { app: raw.app, limit: raw.limit === undefined ? undefined : Number(raw.limit) };
      if (q.app !== undefined) {
        const app = await ctx.apps.getApp(q.app);
        if (app) {
          if (!(await userMay(ctx, user, app, 'read'))) throw new YbError('YB_ERR_APP_NOT_FOUND', `no app named "${q.app.slice(0, 64)}"`);
          return listEvents(ctx.store, [app.team], { app: app.name, limit: q.limit });
        }
        // A destroyed app: its events stay visible in the teams the caller belongs to.
        const teams = (await teamsOf(ctx.store, user)).map((t) => t.name);
        const found = await listEvents(ctx.store, teams, { app: q.app, limit: q.limit });
        if (found.length === 0) throw new YbError('YB_ERR_APP_NOT_FOUND', `no app named "${q.app.slice(0, 64)}"`);
        return found;
      }
      const teams = (await teamsOf(ctx.store, user)).map((t) => t.name);
      const team = await listEvents(ctx.store, teams, { limit: q.limit });
      const account = await listEvents(ctx.store, [ACCOUNT_EVENTS], { user: user.admin ? undefined : user.name, limit: q.limit });
      return [...team, ...account].sort((a, b) => b.at.localeCompare(a.at)).slice(0, q.limit ?? 100);
    },
  );

  // The team an app belongs to, looked up before the handler runs (a destroyed app is gone afterwards).
  api.addHook('preHandler', async (req) => {
    if (req.method === 'GET' || MY_ROUTES.test(routeOf(req))) return;
    const app = appParam(req);
    if (app) req.auditTeam = (await ctx.apps.getApp(app))?.team;
    else if (req.method === 'POST' && routeOf(req) === '/apps') req.auditTeam = (req.body as { team?: string } | undefined)?.team ?? DEFAULT_TEAM;
  });

  api.addHook('onResponse', async (req, reply: FastifyReply) => {
    if (req.method === 'GET' || req.method === 'HEAD' || reply.statusCode >= 400 || !req.user || !req.auditTeam) return;
    const route = routeOf(req);
    if (MY_ROUTES.test(route)) return; // those routes record their own, more precise events
    const describe = AUDITED[`${req.method} ${route}`] ?? generic;
    // A renamed app's event goes under its new name, with its history (api/app-rename.ts).
    const app = route === '/apps' || route === '/apps/:app/rename' ? (req.body as { name?: string }).name : appParam(req);
    await recordEvent(ctx.store, { team: req.auditTeam, user: req.user.name, app, ip: req.ip, ...describe(req) }, ctx.log);
  });

  // Deploys: the git hook's answer streams the build; record the outcome when it has been sent.
  api.addHook('preHandler', async (req, reply) => {
    const route = routeOf(req);
    if (req.method !== 'POST') return;
    if (route === '/internal/git-hook') {
      const secret = req.headers['x-yb-hook-secret'];
      if (typeof secret !== 'string' || secret.length !== ctx.hookSecret.length || !timingSafeEqual(Buffer.from(secret), Buffer.from(ctx.hookSecret))) return;
      const appName = String((req.query as { app?: string }).app ?? '');
      const user = String(req.headers['x-yb-user'] ?? 'unknown');
      const rev = (req.query as { rev?: string }).rev;
      reply.raw.once('finish', () =>
        recordDeploy(ctx, appName, user, rev).catch((err: unknown) => ctx.log.warn({ err, app: appName }, 'could not record a deploy event')),
      );
    } else if (route === '/git/:repo/git-receive-pack') {
      const ip = req.ip;
      reply.raw.once('finish', () => recordHttpPush(ctx, req, ip).catch((err: unknown) => ctx.log.warn({ err }, 'could not record a push event')));
    }
  });
}

async function recordDeploy(ctx: ApiContext, appName: string, user: string, rev: string | undefined): Promise<void> {
  const app = await ctx.apps.getApp(appName).catch(() => null);
  if (!app) return;
  const latest = (await ctx.apps.listReleases(app.name).catch(() => [])).at(-1);
  await recordEvent(
    ctx.store,
    {
      team: app.team,
      user,
      app: app.name,
      action: 'deploy',
      detail: { commit: rev?.slice(0, 40), release: latest?.version, status: latest?.status, live: app.currentRelease === latest?.version },
    },
    ctx.log,
  );
}

async function recordHttpPush(ctx: ApiContext, req: FastifyRequest, ip: string): Promise<void> {
  const h = req.headers.authorization ?? '';
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(h);
  if (!m) return;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const user = await authenticate(ctx.store, decoded.slice(decoded.indexOf(':') + 1)).catch(() => null);
  const appName = /^([a-z0-9-]{1,64})\.git$/.exec((req.params as { repo: string }).repo)?.[1];
  const app = appName ? await ctx.apps.getApp(appName).catch(() => null) : null;
  if (!user || !app || !(await userMay(ctx, user, app, 'deploy'))) return;
  await recordEvent(ctx.store, { team: app.team, user: user.name, app: app.name, action: 'git.push', ip, detail: { via: 'http' } }, ctx.log);
}
