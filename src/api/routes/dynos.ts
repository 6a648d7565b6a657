// /apps/{app}/dynos and /apps/{app}/formation: running processes and their desired quantities.
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { appFor } from '../auth-hook.js';
import { appParams } from '../schemas.js';
import { shortProcessId } from '../../runtime/runtime.js';

export function registerDynos(api: FastifyInstance, ctx: ApiContext): void {
  api.get(
    '/apps/:app/dynos',
    {
      schema: {
        summary: 'Running processes of an app',
        params: appParams,
        response: {
          200: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                name: { type: 'string' },
                type: { type: 'string' },
                release: { type: 'integer' },
                state: { type: 'string' },
                startedAt: { type: 'string' },
                restarts: { type: 'integer' },
                container: { type: 'string' },
              },
            },
          },
        },
      },
    },
    async (req) => {
      const app = await appFor(ctx, req, 'read');
      const list = await ctx.runtime.listProcesses({ kind: 'process', app: app.name });
      const out = [];
      for (const c of list) {
        const state = await ctx.runtime.processState(c.id);
        if (!state) continue;
        out.push({
          name: `${c.workload.type}.${c.workload.index}`,
          type: c.workload.type,
          release: c.workload.release,
          state: state.restarting ? 'crashed' : state.running ? 'up' : c.status,
          startedAt: state.startedAt,
          restarts: state.restarts,
          container: shortProcessId(c.id),
        });
      }
      return out.sort((a, b) => a.name.localeCompare(b.name));
    },
  );

  const formationItem = { type: 'object', properties: { type: { type: 'string' }, quantity: { type: 'integer' }, size: { type: 'string' } } } as const;

  api.get(
    '/apps/:app/formation',
    { schema: { summary: 'Process types and quantities', params: appParams, response: { 200: { type: 'array', items: formationItem } } } },
    async (req) => {
      const app = await appFor(ctx, req, 'read');
      return ctx.apps.getFormation(app.name);
    },
  );

  api.patch(
    '/apps/:app/formation',
    {
      schema: {
        summary: 'Scale process types: quantity and size (e.g. 512M or 1G:0.5); resolves when the processes run; a quantity turns autoscaling of that type off',
        params: appParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['updates'],
          properties: {
            updates: {
              type: 'array',
              minItems: 1,
              maxItems: 20,
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['type'],
                properties: {
                  type: { type: 'string', maxLength: 30 },
                  quantity: { type: 'integer', minimum: 0, maximum: 100 },
                  size: { type: 'string', maxLength: 20 },
                },
              },
            },
          },
        },
        response: { 200: { type: 'array', items: formationItem } },
      },
    },
    async (req) => {
      const app = await appFor(ctx, req, 'manage');
      const updates = (req.body as { updates: Array<{ type: string; quantity?: number; size?: string }> }).updates;
      // A quantity set by hand turns autoscaling of that type off, as on Heroku (docs/architecture.md §5.5); in the app's
      // turn, once every type is known, so a refused scale leaves it on and the autoscaler cannot undo this one.
      const handOver = async (formation: Array<{ type: string }>) => {
        if (!ctx.autoscaler || !updates.every((u) => formation.some((f) => f.type === u.type))) return;
        for (const u of updates) if (u.quantity !== undefined) await ctx.autoscaler.off(app.name, u.type, `scaled by hand to ${u.quantity}`);
      };
      return ctx.deployer.scale(app.name, updates, () => undefined, handOver);
    },
  );

  for (const action of ['stop', 'start'] as const) {
    api.post(
      `/apps/:app/dynos/actions/${action}`,
      {
        schema: {
          summary:
            action === 'stop'
              ? 'Stop every process of the app; it stays stopped until started or deployed'
              : 'Start the processes of the current release again after a stop',
          params: appParams,
        },
      },
      async (req) => {
        const app = await appFor(ctx, req, 'manage');
        if (action === 'stop') await ctx.deployer.stop(app.name, () => undefined);
        else await ctx.deployer.start(app.name, () => undefined);
        return { app: app.name, stopped: action === 'stop' };
      },
    );
  }

  api.delete(
    '/apps/:app/dynos',
    {
      schema: {
        summary: 'Restart processes (all, or one type with ?type=web) without downtime',
        params: appParams,
        querystring: { type: 'object', properties: { type: { type: 'string', maxLength: 30 } }, additionalProperties: false },
      },
    },
    async (req) => {
      const app = await appFor(ctx, req, 'manage');
      await ctx.deployer.restart(app.name, (req.query as { type?: string }).type, () => undefined);
      return { restarted: true };
    },
  );
}
