// /apps/{app}/domains: custom host names routed to an app (the default <app>.<domain> is always there).
// A host belongs to one app at a time; routes/<host> in etcd is what routers read.
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { appFor } from '../auth-hook.js';
import { appParams } from '../schemas.js';
import { checkDomain } from '../../release/domains.js';
import { YbError } from '../../shared/errors.js';
import type { RouteRecord } from '../../store/keys.js';
import { defaultHost } from './apps.js';

interface DomainRecord {
  hostname: string;
  kind: 'default' | 'custom';
  createdAt?: string;
}

export function registerDomains(api: FastifyInstance, ctx: ApiContext): void {
  const domainSchema = {
    type: 'object',
    properties: { hostname: { type: 'string' }, kind: { type: 'string', enum: ['default', 'custom'] }, createdAt: { type: 'string' } },
  } as const;
  const hostParams = {
    type: 'object',
    properties: { app: { type: 'string', maxLength: 64 }, hostname: { type: 'string', maxLength: 253 } },
    required: ['app', 'hostname'],
  } as const;

  api.get(
    '/apps/:app/domains',
    { schema: { summary: 'Host names routed to an app', params: appParams, response: { 200: { type: 'array', items: domainSchema } } } },
    async (req) => {
      const app = await appFor(ctx, req, 'read');
      const custom = (await ctx.store.list<DomainRecord>(ctx.store.keys.domainsPrefix(app.name))).map((e) => e.value);
      return [{ hostname: defaultHost(ctx, app.name), kind: 'default' }, ...custom];
    },
  );

  api.post(
    '/apps/:app/domains',
    {
      schema: {
        summary: 'Route a custom host name (or *.wildcard) to an app',
        params: appParams,
        body: {
          type: 'object',
          required: ['hostname'],
          additionalProperties: false,
          properties: { hostname: { type: 'string', minLength: 1, maxLength: 253 } },
        },
        response: { 201: domainSchema },
      },
    },
    async (req, reply) => {
      const app = await appFor(ctx, req, 'manage');
      const hostname = checkDomain((req.body as { hostname: string }).hostname);
      if (hostname === defaultHost(ctx, app.name)) throw new YbError('YB_ERR_CONFLICT', `${hostname} is already the default host of ${app.name}`);
      // A new host follows the app's https-only and maintenance settings (kept on the routes of its hosts, the default one included).
      const main = await ctx.store.get<RouteRecord>(ctx.store.keys.route(defaultHost(ctx, app.name)));
      const route: RouteRecord = {
        app: app.name,
        ...(main?.httpsOnly ? { httpsOnly: true } : {}),
        ...(main?.maintenance ? { maintenance: main.maintenance } : {}),
      };
      if (!(await ctx.store.create(ctx.store.keys.route(hostname), route))) {
        const owner = await ctx.store.get<RouteRecord>(ctx.store.keys.route(hostname));
        throw new YbError(
          'YB_ERR_CONFLICT',
          owner?.app === app.name ? `${hostname} is already routed to ${app.name}` : `${hostname} is already in use by another app`,
        );
      }
      const rec: DomainRecord = { hostname, kind: 'custom', createdAt: new Date().toISOString() };
      await ctx.store.put(ctx.store.keys.domain(app.name, hostname), rec);
      return reply.code(201).send(rec);
    },
  );

  api.delete('/apps/:app/domains/:hostname', { schema: { summary: 'Stop routing a custom host name to an app', params: hostParams } }, async (req) => {
    const app = await appFor(ctx, req, 'manage');
    const hostname = checkDomain((req.params as { hostname: string }).hostname);
    const rec = await ctx.store.get<DomainRecord>(ctx.store.keys.domain(app.name, hostname));
    if (!rec) throw new YbError('YB_ERR_NOT_FOUND', `${hostname} is not a custom domain of ${app.name}`);
    const route = await ctx.store.get<RouteRecord>(ctx.store.keys.route(hostname));
    if (route?.app === app.name) await ctx.store.delete(ctx.store.keys.route(hostname));
    const cert = await ctx.store.get<{ app?: string }>(ctx.store.keys.cert(hostname));
    if (cert?.app === app.name) await ctx.store.delete(ctx.store.keys.cert(hostname));
    await ctx.store.delete(ctx.store.keys.domain(app.name, hostname));
    return { hostname, removed: true };
  });
}
