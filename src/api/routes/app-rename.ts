// POST /apps/{app}/rename: `yb apps:rename` (docs/architecture.md §3.1). A thin layer over api/app-rename.ts: who may
// (team owners and admins, as for destroy), which names are refused, and finishing a rename that stopped after its switch.
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { appFor, currentUser, userMay } from '../auth-hook.js';
import { appParams, appSchema } from '../schemas.js';
import { YbError } from '../../shared/errors.js';
import { finishRename, renameApp, unfinishedRename } from '../app-rename.js';
import { present } from './apps.js';

export function registerAppRename(api: FastifyInstance, ctx: ApiContext): void {
  api.post(
    '/apps/:app/rename',
    {
      schema: {
        summary:
          'Rename an app: its records, releases and builds (numbers kept), default host, git repository, logs, links, dependencies and running processes (re-created under the new name without downtime) follow; custom domains and certificates stay with it',
        params: appParams,
        body: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', maxLength: 64, description: 'the new name (rules of apps:create)' },
            team: { type: 'string', maxLength: 64, description: "the app's team, if given (renaming never moves an app to another team)" },
          },
        },
        response: {
          200: { type: 'object', properties: { from: { type: 'string' }, app: appSchema, output: { type: 'array', items: { type: 'string' } } } },
        },
      },
    },
    async (req) => {
      const { name, team } = req.body as { name: string; team?: string };
      const from = (req.params as { app: string }).app;
      const user = currentUser(req);
      const output: string[] = [];
      const out = (l: string) => void output.push(l);
      let app;
      try {
        app = await appFor(ctx, req, 'destroy');
      } catch (err) {
        // A rename that stopped after its switch (say, the new processes failed their health check) is finished by asking again.
        const j = err instanceof YbError && err.code === 'YB_ERR_APP_NOT_FOUND' ? await unfinishedRename(ctx, from) : null;
        if (!j || j.to !== name || !(await userMay(ctx, user, await ctx.apps.getApp(j.to), 'destroy'))) throw err;
        const done = await finishRename(ctx, j, out);
        return { from, app: present(ctx, done), output };
      }
      if (team !== undefined && team !== app.team)
        throw new YbError('YB_ERR_BAD_REQUEST', `renaming keeps ${app.name} in team "${app.team}"; it cannot move it to team "${team.slice(0, 64)}"`);
      const renamed = await renameApp(ctx, app.name, name, user.name, out).catch((err: unknown) => {
        if (!(err instanceof YbError) || !output.some((l) => l.startsWith('Renamed '))) throw err;
        // Past the switch: the app has its new name, the old processes keep serving; asking again finishes it.
        throw new YbError(err.code, `${app.name} is now named ${name}, but finishing the rename failed: ${err.message}; run the rename again to finish it`, {
          cause: err,
        });
      });
      ctx.log.info({ from: app.name, to: renamed.name, user: user.name }, 'app renamed');
      return { from: app.name, app: present(ctx, renamed), output };
    },
  );
}
