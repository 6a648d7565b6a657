// /apps/{app}/maintenance: maintenance mode (Heroku's maintenance:on, Dokku's maintenance plugin). The setting lives on
// every route record of the app, as https-only does, so the router answers 503 with the app's page (or its own) on
// every host of the app without another lookup; processes, health checks and `yb run` are untouched.
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { appFor } from '../auth-hook.js';
import { appParams } from '../schemas.js';
import { YbError } from '../../shared/errors.js';
import { MAX_MAINTENANCE_PAGE } from '../../store/keys.js';
import { rewriteAppRoutes, routesOfApp } from '../app-routes.js';

const maintenanceSchema = {
  type: 'object',
  properties: { enabled: { type: 'boolean' }, customPage: { type: 'boolean' }, hosts: { type: 'array', items: { type: 'string' } } },
} as const;

interface MaintenanceView {
  enabled: boolean;
  customPage: boolean;
  hosts: string[];
}

export function registerMaintenance(api: FastifyInstance, ctx: ApiContext): void {
  api.get(
    '/apps/:app/maintenance',
    { schema: { summary: 'Whether the app is down for maintenance', params: appParams, response: { 200: maintenanceSchema } } },
    async (req): Promise<MaintenanceView> => {
      const app = await appFor(ctx, req, 'read');
      const routes = await routesOfApp(ctx.store, app.name);
      const on = routes.filter((r) => r.value.maintenance);
      return {
        enabled: routes.length > 0 && on.length === routes.length,
        customPage: on.some((r) => r.value.maintenance?.page !== undefined),
        hosts: on.map((r) => r.host),
      };
    },
  );

  api.put(
    '/apps/:app/maintenance',
    {
      schema: {
        summary: "Put the app in maintenance mode (the router answers 503 with a page on all the app's hosts) or take it out",
        params: appParams,
        body: {
          type: 'object',
          required: ['enabled'],
          additionalProperties: false,
          properties: { enabled: { type: 'boolean' }, page: { type: 'string', maxLength: MAX_MAINTENANCE_PAGE } },
        },
        response: { 200: maintenanceSchema },
      },
    },
    async (req): Promise<MaintenanceView> => {
      const app = await appFor(ctx, req, 'manage');
      const { enabled, page } = req.body as { enabled: boolean; page?: string };
      if (page !== undefined && !enabled) throw new YbError('YB_ERR_BAD_REQUEST', 'a maintenance page goes with turning maintenance on');
      if (page !== undefined && Buffer.byteLength(page) > MAX_MAINTENANCE_PAGE)
        throw new YbError('YB_ERR_BAD_REQUEST', `the maintenance page is larger than ${MAX_MAINTENANCE_PAGE / 1024} KiB`);
      const hosts = await rewriteAppRoutes(ctx.store, app.name, ({ maintenance: _old, ...rest }) =>
        enabled ? { ...rest, maintenance: page === undefined ? {} : { page } } : rest,
      );
      return { enabled, customPage: enabled && page !== undefined, hosts };
    },
  );
}
