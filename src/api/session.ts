// Browser sessions of the web console (docs/architecture.md §8): a random session id in an HttpOnly SameSite=Strict
// cookie, stored server-side only as its SHA-256 under sessions/, with its own CSRF token. Owns the cookie format and
// the CSRF rule for cookie-authenticated calls; must never put an API token or the session id anywhere a page can read.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Store } from '../store/store.js';
import type { ApiContext } from './context.js';
import type { User } from '../auth/tokens.js';
import { getUser } from '../auth/users.js';
import { YbError } from '../shared/errors.js';

export const SESSION_COOKIE = 'yb_session';
export const CSRF_HEADER = 'x-csrf-token';
/** Sessions end this long after sign-in unless YB_CONSOLE_SESSION_HOURS says otherwise. */
export const DEFAULT_SESSION_HOURS = 12;

export interface SessionRecord {
  user: string;
  /** Sent back by the console in X-CSRF-Token on every state-changing call; readable by the page, unlike the cookie. */
  csrf: string;
  createdAt: string;
  expiresAt: string;
  /** How the user signed in: a password, or an API token (whose hash is kept so revoking it ends the session). */
  via: 'password' | 'token';
  tokenHash?: string;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const sessionKey = (store: Store, id: string) => `${store.keys.prefix}sessions/${sha256(id)}`;

/** The value of one cookie in a Cookie header, or null. Pure. */
export function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/**
 * The Set-Cookie value for a session id (or for clearing it when `id` is null). Pure. Strict, not Lax: the console's
 * index.html needs no cookie, and its own fetches are same-site, so Strict costs nothing and shuts out cross-site
 * top-level POSTs too. Secure whenever the browser reached us over https (directly or through a trusted proxy).
 */
export function sessionCookie(id: string | null, opts: { secure: boolean; maxAgeSeconds: number }): string {
  const parts = [`${SESSION_COOKIE}=${id ?? ''}`, 'Path=/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${id ? opts.maxAgeSeconds : 0}`];
  if (opts.secure) parts.push('Secure');
  return parts.join('; ');
}

/** Whether two secrets are equal, in time independent of where they differ. Pure. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Why a cookie-authenticated request may not change anything, or null when it may. Pure. A state-changing call needs
 * the session's CSRF token in X-CSRF-Token (another site can neither read it nor set the header without a CORS
 * preflight, which this API never grants); an Origin or Sec-Fetch-Site that names another site is refused as well.
 */
export function csrfRefusal(
  req: { method: string; headers: Record<string, string | string[] | undefined>; origin: string },
  session: SessionRecord,
): string | null {
  if (req.method === 'GET' || req.method === 'HEAD') return null;
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return 'this request came from another site';
  const origin = req.headers.origin;
  if (typeof origin === 'string' && origin !== req.origin) return `this request came from ${origin.slice(0, 100)}, not from the console`;
  const token = req.headers[CSRF_HEADER];
  if (typeof token !== 'string' || !sameSecret(token, session.csrf)) return 'the X-CSRF-Token header is missing or does not match this session';
  return null;
}

/** The origin the browser used to reach this API (scheme and Host), as an Origin header would name it. */
export function requestOrigin(req: FastifyRequest): string {
  return `${req.protocol}://${req.headers.host ?? ''}`;
}

export class Sessions {
  constructor(
    private readonly store: Store,
    private readonly hours: number = DEFAULT_SESSION_HOURS,
  ) {}

  /** Starts a session for `user` and sets its cookie on `reply`; the answer carries the CSRF token. */
  async start(req: FastifyRequest, reply: FastifyReply, user: User, via: SessionRecord['via'], tokenHash?: string): Promise<SessionRecord> {
    await this.pruneExpired();
    const id = randomBytes(32).toString('base64url');
    const now = Date.now();
    const rec: SessionRecord = {
      user: user.name,
      csrf: randomBytes(24).toString('base64url'),
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + this.hours * 3600_000).toISOString(),
      via,
      ...(tokenHash ? { tokenHash } : {}),
    };
    await this.store.put(sessionKey(this.store, id), rec);
    reply.header('set-cookie', sessionCookie(id, { secure: req.protocol === 'https', maxAgeSeconds: this.hours * 3600 }));
    return rec;
  }

  /** The live session named by the request's cookie, with its user; null when there is none or it ended. */
  async resolve(req: { headers: { cookie?: string } }): Promise<{ session: SessionRecord; user: User } | null> {
    const id = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (!id || !/^[A-Za-z0-9_-]{43}$/.test(id)) return null;
    const key = sessionKey(this.store, id);
    const session = await this.store.get<SessionRecord>(key);
    if (!session) return null;
    const tokenGone = session.tokenHash ? !(await this.store.get(this.store.keys.token(session.tokenHash))) : false;
    if (Date.parse(session.expiresAt) <= Date.now() || tokenGone) {
      await this.store.delete(key);
      return null;
    }
    const user = await getUser(this.store, session.user);
    return user ? { session, user } : null;
  }

  /** Ends the request's session server-side and clears its cookie; resolves to whether there was one. */
  async end(req: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    reply.header('set-cookie', sessionCookie(null, { secure: req.protocol === 'https', maxAgeSeconds: 0 }));
    const id = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (!id || !/^[A-Za-z0-9_-]{43}$/.test(id)) return false;
    return (await this.store.delete(sessionKey(this.store, id))) > 0;
  }

  /** Removes sessions past their end, so sessions that are never used again do not pile up in etcd. */
  private async pruneExpired(): Promise<void> {
    const now = Date.now();
    for (const e of await this.store.list<SessionRecord>(`${this.store.keys.prefix}sessions/`)) {
      if (Date.parse(e.value.expiresAt) <= now) await this.store.delete(e.key);
    }
  }
}

const sessionsByCtx = new WeakMap<ApiContext, Sessions>();

/** The session store of this control plane (one per API context). */
export function sessionsFor(ctx: ApiContext): Sessions {
  let s = sessionsByCtx.get(ctx);
  if (!s) sessionsByCtx.set(ctx, (s = new Sessions(ctx.store, ctx.consoleSessionHours)));
  return s;
}

/** The user behind the request's session cookie, with the CSRF rule applied; null when there is no session cookie. */
export async function sessionUser(sessions: Sessions, req: FastifyRequest): Promise<User | null> {
  if (!readCookie(req.headers.cookie, SESSION_COOKIE)) return null;
  const found = await sessions.resolve(req);
  if (!found)
    throw new YbError('YB_ERR_UNAUTHORIZED', 'your console session has ended (signed out or expired); sign in again', { hint: 'reload the page to sign in' });
  const refused = csrfRefusal({ method: req.method, headers: req.headers, origin: requestOrigin(req) }, found.session);
  if (refused) throw new YbError('YB_ERR_FORBIDDEN', `${refused}; state-changing calls from the browser must come from the console`);
  return found.user;
}
