// /session: the web console's sign-in (user name + password, or an API token), the current session and sign-out.
// Password sign-ins go through the same log-in throttle as POST /login. The answer carries the CSRF token, never
// the session id (that lives only in the HttpOnly cookie) and never an API token.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiContext } from '../context.js';
import { YbError } from '../../shared/errors.js';
import { authenticate, hashToken } from '../../auth/tokens.js';
import { checkLogin } from '../../auth/users.js';
import { ACCOUNT_EVENTS, recordEvent } from '../../auth/audit.js';
import { DEFAULT_LOGIN_LIMITS, LoginThrottle, formatWait } from '../../auth/login-throttle.js';
import { requestOrigin, sessionUser, sessionsFor } from '../session.js';
import { errorSchema } from '../schemas.js';

const throttles = new WeakMap<ApiContext, LoginThrottle>();

const sessionAnswer = {
  type: 'object',
  properties: {
    user: { type: 'object', properties: { name: { type: 'string' }, admin: { type: 'boolean' } }, required: ['name', 'admin'] },
    csrfToken: { type: 'string', description: 'Send it as the X-CSRF-Token header on every call that changes something.' },
    expiresAt: { type: 'string' },
  },
  required: ['user', 'csrfToken', 'expiresAt'],
} as const;

export function registerSession(api: FastifyInstance, ctx: ApiContext): void {
  const throttle = () => {
    if (ctx.loginThrottle) return ctx.loginThrottle;
    let t = throttles.get(ctx);
    if (!t) throttles.set(ctx, (t = new LoginThrottle(DEFAULT_LOGIN_LIMITS)));
    return t;
  };
  // Login CSRF (signing a victim into the attacker's account) is refused like any other cross-site call.
  const sameOrigin = (req: FastifyRequest) => {
    const origin = req.headers.origin;
    if (req.headers['sec-fetch-site'] === 'cross-site' || (typeof origin === 'string' && origin !== requestOrigin(req)))
      throw new YbError('YB_ERR_FORBIDDEN', 'a console sign-in must come from the console itself, not from another site');
  };

  api.post(
    '/session',
    {
      schema: {
        summary: 'Sign in to the web console: sets an HttpOnly session cookie',
        description:
          'Send `{name, password}` or `{token}` (an API token). Password sign-ins count against the same throttle as POST /login ' +
          '(429 `too_many_requests` with `Retry-After`). The session cookie is HttpOnly and SameSite=Strict; calls that change ' +
          'something with it must send the answer’s `csrfToken` as the `X-CSRF-Token` header.',
        body: {
          type: 'object',
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 64 },
            password: { type: 'string', minLength: 1, maxLength: 200 },
            token: { type: 'string', minLength: 1, maxLength: 200 },
          },
          additionalProperties: false,
        },
        response: { 201: sessionAnswer, 401: errorSchema, 429: errorSchema },
      },
    },
    async (req, reply) => {
      sameOrigin(req);
      const body = req.body as { name?: string; password?: string; token?: string };
      const sessions = sessionsFor(ctx);
      const byToken = body.token !== undefined;
      if (byToken ? body.name !== undefined || body.password !== undefined : body.name === undefined || body.password === undefined)
        throw new YbError('YB_ERR_BAD_REQUEST', 'send either a user name and password, or an API token');
      // A token sign-in is throttled per IP under a name no user can have, so token guessing is braked too.
      const throttleName = byToken ? '(token)' : body.name!;
      const admitted = throttle().attempt(throttleName, req.ip);
      if (!admitted.ok)
        throw new YbError('YB_ERR_TOO_MANY_REQUESTS', `too many failed sign-ins from ${req.ip}; try again in ${formatWait(admitted.retryAfterSeconds)}`, {
          retryAfter: admitted.retryAfterSeconds,
        });
      const user = byToken ? await authenticate(ctx.store, body.token!) : await checkLogin(ctx.store, body.name!, body.password!);
      const shown = byToken ? '(token)' : body.name!.slice(0, 32);
      if (!user) {
        if (throttle().failed(throttleName, req.ip))
          await recordEvent(ctx.store, { team: ACCOUNT_EVENTS, user: shown, action: 'login.failed', ip: req.ip, detail: { via: 'console' } }, ctx.log);
        throw new YbError('YB_ERR_UNAUTHORIZED', byToken ? 'the API token is not valid (it may have been revoked)' : 'wrong user name or password');
      }
      throttle().succeeded(throttleName, req.ip, admitted);
      const session = await sessions.start(req, reply, user, byToken ? 'token' : 'password', byToken ? hashToken(body.token!) : undefined);
      await recordEvent(ctx.store, { team: ACCOUNT_EVENTS, user: user.name, action: 'login', ip: req.ip, detail: { via: 'console' } }, ctx.log);
      return reply.code(201).send({ user: { name: user.name, admin: user.admin }, csrfToken: session.csrf, expiresAt: session.expiresAt });
    },
  );

  api.get(
    '/session',
    { schema: { summary: 'The console session of this browser (its user and CSRF token)', response: { 200: sessionAnswer, 401: errorSchema } } },
    async (req) => {
      const found = await sessionsFor(ctx).resolve(req);
      if (!found)
        throw new YbError('YB_ERR_UNAUTHORIZED', 'not signed in to the console', { hint: 'sign in with your user name and password or an API token' });
      return { user: { name: found.user.name, admin: found.user.admin }, csrfToken: found.session.csrf, expiresAt: found.session.expiresAt };
    },
  );

  api.delete(
    '/session',
    {
      schema: {
        summary: 'Sign out of the console: ends the session on the server and clears the cookie',
        response: { 200: { type: 'object', properties: { ended: { type: 'boolean' } } } },
      },
    },
    async (req, reply) => {
      // The CSRF rule applies: another site cannot sign a user out either.
      if (!(await sessionUser(sessionsFor(ctx), req))) return { ended: false };
      const ended = await sessionsFor(ctx).end(req, reply);
      return { ended };
    },
  );
}
