// /apps/{app}/dynos and /apps/{app}/formation: running processes and their desired quantities.
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { appFor } from '../auth-hook.js';
import { appParams } from '../schemas.js';
import { LABEL_APP, LABEL_INDEX, LABEL_KIND, LABEL_PROCESS, LABEL_RELEASE } from '../../runtime/docker.js';

export function registerDynos(api: FastifyInstance, ctx: ApiContext): void {
  api.get('/apps/:app/dynos', {
    schema: {
      summary: 'Running processes of an app',
      params: appParams,
      response: { 200: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, type: { type: 'string' }, release: { type: 'integer' }, state: { type: 'string' }, startedAt: { type: 'string' }, restarts: { type: 'integer' }, container: { type: 'string' } } } } },
    },
  }, async (req) => {
    const app = await appFor(ctx, req, 'read');
    const list = await ctx.runtime.list({ [LABEL_APP]: app.name, [LABEL_KIND]: 'process' });
    const out = [];
    for (const c of list) {
      const info = await ctx.runtime.inspect(c.id);
      if (!info) continue;
      const restarting = info.State.Restarting || (info.RestartCount > 0 && !info.State.Running);
      out.push({
        name: `${c.labels[LABEL_PROCESS]}.${c.labels[LABEL_INDEX]}`, type: c.labels[LABEL_PROCESS], release: Number(c.labels[LABEL_RELEASE]),
        state: restarting ? 'crashed' : info.State.Running ? 'up' : info.State.Status, startedAt: info.State.StartedAt, restarts: info.RestartCount, container: c.id.slice(0, 12),
      });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  });

  api.get('/apps/:app/formation', { schema: { summary: 'Process types and quantities', params: appParams } }, async (req) => {
    const app = await appFor(ctx, req, 'read');
    return ctx.repo.getFormation(app.name);
  });
}
