// /apps/{app}/releases: history, one release, and rollback (POST with the version to copy).
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { appFor, currentUser } from '../auth-hook.js';
import { appParams, releaseSchema } from '../schemas.js';
import { YbError } from '../../shared/errors.js';
import type { AppRecord, ReleaseRecord } from '../../release/app-records.js';

function present(app: AppRecord, r: ReleaseRecord) {
  const { config, ...rest } = r;
  return { ...rest, current: app.currentRelease === r.version, configKeys: Object.keys(config) };
}

export function registerReleases(api: FastifyInstance, ctx: ApiContext): void {
  api.get(
    '/apps/:app/releases',
    { schema: { summary: 'Releases of an app, oldest first', params: appParams, response: { 200: { type: 'array', items: releaseSchema } } } },
    async (req) => {
      const app = await appFor(ctx, req, 'read');
      return (await ctx.apps.listReleases(app.name)).map((r) => present(app, r));
    },
  );

  api.get(
    '/apps/:app/releases/:version',
    {
      schema: {
        summary: 'One release',
        params: {
          type: 'object',
          properties: { app: { type: 'string' }, version: { type: 'string', pattern: '^v?[0-9]{1,9}$' } },
          required: ['app', 'version'],
        },
        response: { 200: releaseSchema },
      },
    },
    async (req) => {
      const app = await appFor(ctx, req, 'read');
      const v = Number((req.params as { version: string }).version.replace(/^v/, ''));
      const r = await ctx.apps.getRelease(app.name, v);
      if (!r) throw new YbError('YB_ERR_RELEASE_NOT_FOUND', `${app.name} has no release v${v}`);
      return present(app, r);
    },
  );

  api.post(
    '/apps/:app/releases',
    {
      schema: {
        summary: 'Roll back: a new release copying the image and config of `release` (default: the one before the current)',
        params: appParams,
        body: { type: 'object', properties: { release: { type: 'integer', minimum: 1 } }, additionalProperties: false },
        response: { 201: releaseSchema },
      },
    },
    async (req, reply) => {
      const app = await appFor(ctx, req, 'deploy');
      const body = (req.body ?? {}) as { release?: number };
      const r = await ctx.deployer.rollback(app.name, body.release, currentUser(req).name, () => undefined);
      return reply.code(201).send(present({ ...app, currentRelease: r.version }, r));
    },
  );
}
