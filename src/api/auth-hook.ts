// Authentication of API requests (Bearer token) and per-app authorisation; another team's app is reported
// as not found, so names do not leak across tenants.
import type { FastifyRequest } from 'fastify';
import { authenticate, type User, type TeamRecord } from '../auth/tokens.js';
import { may, roleIn, type Action } from '../auth/access.js';
import { YbError } from '../shared/errors.js';
import type { ApiContext } from './context.js';
import type { AppRecord } from '../release/app-records.js';
import { sessionUser, sessionsFor } from './session.js';

declare module 'fastify' {
  interface FastifyRequest {
    user?: User;
  }
}

export function bearer(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  const m = h ? /^Bearer\s+(\S+)$/i.exec(h) : null;
  return m ? m[1]! : null;
}

export async function authenticateRequest(ctx: ApiContext, req: FastifyRequest): Promise<User> {
  const token = bearer(req);
  // Without a Bearer token, the web console's session cookie (CSRF rule included) stands for the user.
  const user = token ? await authenticate(ctx.store, token) : await sessionUser(sessionsFor(ctx), req);
  if (!user)
    throw new YbError(
      'YB_ERR_UNAUTHORIZED',
      token ? 'the API token is not valid (it may have been revoked); log in again' : 'no API token given; run "yb login" or set YB_API_TOKEN',
    );
  return user;
}

export function currentUser(req: FastifyRequest): User {
  if (!req.user) throw new YbError('YB_ERR_UNAUTHORIZED');
  return req.user;
}

/** Whether `user` may do `action` on `app` (false also when the app does not exist). */
export async function userMay(ctx: ApiContext, user: User, app: AppRecord | null, action: Action): Promise<boolean> {
  return app ? mayOnTeam(ctx, user, app.team, action) : false;
}

/** Whether `user` may do `action` on what team `team` owns (its apps, services, volumes). */
export async function mayOnTeam(ctx: ApiContext, user: User, team: string, action: Action): Promise<boolean> {
  return may(roleIn(user, await ctx.store.get<TeamRecord>(ctx.store.keys.team(team))), action);
}

/** Loads the app named in the route and checks the caller may do `action`; 404 when it may not even read it. */
export async function appFor(ctx: ApiContext, req: FastifyRequest, action: Action): Promise<AppRecord> {
  const user = currentUser(req);
  const name = (req.params as { app: string }).app;
  const app = await ctx.apps.getApp(name);
  if (!app || !(await userMay(ctx, user, app, 'read'))) throw new YbError('YB_ERR_APP_NOT_FOUND', `no app named "${name.slice(0, 64)}"`);
  if (!(await userMay(ctx, user, app, action))) throw new YbError('YB_ERR_FORBIDDEN', `your role does not allow ${action} on ${app.name}`);
  return app;
}
