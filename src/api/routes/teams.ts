// /teams, /teams/{team}/members, /users, /login and /account/password: tenants, their members and roles,
// users (created by platform admins) and password log-in. Tokens and passwords leave only as a creation answer.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiContext } from '../context.js';
import { currentUser } from '../auth-hook.js';
import { YbError } from '../../shared/errors.js';
import { createToken, type Role, type User } from '../../auth/tokens.js';
import { changeMember, createTeam, teamsOf, visibleTeam } from '../../auth/teams.js';
import { checkLogin, createUser, deleteUser, listUsers, setPassword } from '../../auth/users.js';
import { ACCOUNT_EVENTS, recordEvent } from '../../auth/audit.js';
import { DEFAULT_LOGIN_LIMITS, LoginThrottle, formatWait } from '../../auth/login-throttle.js';
import { errorSchema } from '../schemas.js';

const name = { type: 'string', minLength: 1, maxLength: 64 } as const;
/** A new team's or user's name: the rules of checkTeamName/checkUserName, documented for clients and fuzzers. */
const newName = { type: 'string', minLength: 2, maxLength: 32, pattern: '^[a-z][a-z0-9-]*[a-z0-9]$' } as const;
const role = { type: 'string', enum: ['owner', 'admin', 'member', 'viewer'] } as const;
const teamParams = { type: 'object', properties: { team: name }, required: ['team'], additionalProperties: false } as const;
const memberParams = { type: 'object', properties: { team: name, user: name }, required: ['team', 'user'], additionalProperties: false } as const;
const memberSchema = { type: 'object', properties: { user: { type: 'string' }, role: { type: 'string' } } } as const;
const teamSchema = {
  type: 'object',
  properties: { name: { type: 'string' }, role: { type: 'string' }, members: { type: 'integer' }, createdAt: { type: 'string' } },
} as const;
const userSchema = { type: 'object', properties: { name: { type: 'string' }, admin: { type: 'boolean' }, createdAt: { type: 'string' } } } as const;

function requireAdmin(req: FastifyRequest): User {
  const user = currentUser(req);
  if (!user.admin) throw new YbError('YB_ERR_FORBIDDEN', 'only platform administrators manage users');
  return user;
}

function members(team: { members: Record<string, Role> }) {
  return Object.entries(team.members)
    .map(([user, r]) => ({ user, role: r }))
    .sort((a, b) => a.user.localeCompare(b.user));
}

export function registerTeams(api: FastifyInstance, ctx: ApiContext): void {
  const audit = (req: FastifyRequest, team: string, action: string, detail?: Record<string, unknown>) =>
    recordEvent(ctx.store, { team, user: currentUser(req).name, action, ip: req.ip, detail }, ctx.log);

  api.get('/teams', { schema: { summary: 'Teams you belong to, with your role', response: { 200: { type: 'array', items: teamSchema } } } }, async (req) => {
    return (await teamsOf(ctx.store, currentUser(req))).map((t) => ({
      name: t.name,
      role: t.role,
      members: Object.keys(t.members).length,
      createdAt: t.createdAt,
    }));
  });

  api.post(
    '/teams',
    {
      schema: {
        summary: 'Create a team; you become its owner',
        body: { type: 'object', properties: { name: newName }, required: ['name'], additionalProperties: false },
        response: { 201: teamSchema },
      },
    },
    async (req, reply) => {
      const team = await createTeam(ctx.store, (req.body as { name: string }).name, currentUser(req));
      await audit(req, team.name, 'team.create');
      return reply.code(201).send({ name: team.name, role: 'owner', members: 1, createdAt: team.createdAt });
    },
  );

  api.get(
    '/teams/:team/members',
    { schema: { summary: 'Members of a team and their roles', params: teamParams, response: { 200: { type: 'array', items: memberSchema } } } },
    async (req) => {
      return members(await visibleTeam(ctx.store, currentUser(req), (req.params as { team: string }).team));
    },
  );

  api.post(
    '/teams/:team/members',
    {
      schema: {
        summary: 'Add a user to a team (owners and admins)',
        params: teamParams,
        body: { type: 'object', properties: { user: name, role }, required: ['user'], additionalProperties: false },
        response: { 201: { type: 'array', items: memberSchema } },
      },
    },
    async (req, reply) => {
      const { team } = req.params as { team: string };
      const body = req.body as { user: string; role?: Role };
      const next = await changeMember(ctx.store, currentUser(req), team, body.user, body.role ?? 'member', 'add');
      await audit(req, team, 'member.add', { member: body.user, role: body.role ?? 'member' });
      return reply.code(201).send(members(next));
    },
  );

  api.patch(
    '/teams/:team/members/:user',
    {
      schema: {
        summary: 'Change the role of a member',
        params: memberParams,
        body: { type: 'object', properties: { role }, required: ['role'], additionalProperties: false },
        response: { 200: { type: 'array', items: memberSchema } },
      },
    },
    async (req) => {
      const { team, user } = req.params as { team: string; user: string };
      const { role: r } = req.body as { role: Role };
      const next = await changeMember(ctx.store, currentUser(req), team, user, r, 'set');
      await audit(req, team, 'member.set-role', { member: user, role: r });
      return members(next);
    },
  );

  api.delete(
    '/teams/:team/members/:user',
    { schema: { summary: 'Remove a member from a team', params: memberParams, response: { 200: { type: 'array', items: memberSchema } } } },
    async (req) => {
      const { team, user } = req.params as { team: string; user: string };
      const next = await changeMember(ctx.store, currentUser(req), team, user, null, 'remove');
      await audit(req, team, 'member.remove', { member: user });
      return members(next);
    },
  );

  api.get('/users', { schema: { summary: 'All users (platform administrators)', response: { 200: { type: 'array', items: userSchema } } } }, async (req) => {
    requireAdmin(req);
    return (await listUsers(ctx.store)).map((u) => ({ name: u.name, admin: u.admin, createdAt: u.createdAt }));
  });

  api.post(
    '/users',
    {
      schema: {
        summary: 'Create a user (platform administrators); answers with its first API token, shown only this once',
        body: {
          type: 'object',
          properties: { name: newName, admin: { type: 'boolean' }, password: { type: 'string', minLength: 8, maxLength: 200 } },
          required: ['name'],
          additionalProperties: false,
        },
        response: {
          201: { type: 'object', properties: { name: { type: 'string' }, admin: { type: 'boolean' }, token: { type: 'string' }, tokenId: { type: 'string' } } },
        },
      },
    },
    async (req, reply) => {
      requireAdmin(req);
      const body = req.body as { name: string; admin?: boolean; password?: string };
      const user = await createUser(ctx.store, body.name, { admin: body.admin, password: body.password });
      const { token, record } = await createToken(ctx.store, user.name, 'first token (users:create)');
      await audit(req, ACCOUNT_EVENTS, 'user.create', { name: user.name, admin: user.admin });
      return reply.code(201).send({ name: user.name, admin: user.admin, token, tokenId: record.id });
    },
  );

  api.delete(
    '/users/:user',
    {
      schema: {
        summary: 'Remove a user with their tokens, keys and memberships (platform administrators)',
        params: { type: 'object', properties: { user: name }, required: ['user'], additionalProperties: false },
      },
    },
    async (req) => {
      const admin = requireAdmin(req);
      const { user } = req.params as { user: string };
      if (user === admin.name) throw new YbError('YB_ERR_CONFLICT', 'you cannot remove yourself');
      if (!(await deleteUser(ctx.store, user))) throw new YbError('YB_ERR_NOT_FOUND', `no user named "${user.slice(0, 64)}"`);
      await audit(req, ACCOUNT_EVENTS, 'user.remove', { name: user });
      return { name: user, removed: true };
    },
  );

  const throttle = ctx.loginThrottle ?? new LoginThrottle(DEFAULT_LOGIN_LIMITS);
  api.post(
    '/login',
    {
      schema: {
        summary: 'Exchange a user name and password for a new API token',
        description:
          'Failed log-ins are counted per user name and client IP, and per client IP, in a sliding window ' +
          '(YB_LOGIN_MAX_FAILURES, YB_LOGIN_MAX_FAILURES_PER_IP, YB_LOGIN_WINDOW). Beyond either limit every attempt, even with the right ' +
          'password, is answered 429 `too_many_requests` with a `Retry-After` header (seconds) until the window has room again. ' +
          'A successful log-in resets the count of its user name and IP.',
        body: {
          type: 'object',
          properties: { name, password: { type: 'string', minLength: 1, maxLength: 200 }, description: { type: 'string', maxLength: 100 } },
          required: ['name', 'password'],
          additionalProperties: false,
        },
        response: {
          201: { type: 'object', properties: { name: { type: 'string' }, token: { type: 'string' }, tokenId: { type: 'string' } } },
          401: { ...errorSchema, description: 'wrong user name or password (`unauthorized`)' },
          429: {
            ...errorSchema,
            description: 'too many failed log-ins (`too_many_requests`); the `Retry-After` header says after how many seconds to try again',
          },
        },
      },
    },
    async (req, reply) => {
      const body = req.body as { name: string; password: string; description?: string };
      const shown = body.name.slice(0, 32);
      const admitted = throttle.attempt(body.name, req.ip);
      if (!admitted.ok) {
        const who = admitted.scope === 'user' ? `as "${shown}" from ${req.ip}` : `from ${req.ip}`;
        throw new YbError('YB_ERR_TOO_MANY_REQUESTS', `too many failed log-ins ${who}; try again in ${formatWait(admitted.retryAfterSeconds)}`, {
          retryAfter: admitted.retryAfterSeconds,
        });
      }
      const user = await checkLogin(ctx.store, body.name, body.password);
      if (!user) {
        // Only the first failure per window and name+IP is recorded: guessing must not flood etcd.
        if (throttle.failed(body.name, req.ip))
          await recordEvent(ctx.store, { team: ACCOUNT_EVENTS, user: shown, action: 'login.failed', ip: req.ip }, ctx.log);
        throw new YbError('YB_ERR_UNAUTHORIZED', 'wrong user name or password');
      }
      throttle.succeeded(body.name, req.ip, admitted);
      const { token, record } = await createToken(ctx.store, user.name, body.description ?? 'yb login');
      await recordEvent(ctx.store, { team: ACCOUNT_EVENTS, user: user.name, action: 'login', ip: req.ip, detail: { tokenId: record.id } }, ctx.log);
      return reply.code(201).send({ name: user.name, token, tokenId: record.id });
    },
  );

  api.put(
    '/account/password',
    {
      schema: {
        summary: 'Set your password (for yb login with a user name)',
        body: {
          type: 'object',
          properties: { password: { type: 'string', minLength: 8, maxLength: 200 } },
          required: ['password'],
          additionalProperties: false,
        },
      },
    },
    async (req) => {
      await setPassword(ctx.store, currentUser(req).name, (req.body as { password: string }).password);
      await audit(req, ACCOUNT_EVENTS, 'password.set');
      return { updated: true };
    },
  );
}
