// Deploys without git: a source tarball upload (Heroku's source_blob), a prebuilt local image, and loading an
// image archive into the engine. Source uploads stream the build output back like a git push does.
import type { FastifyInstance } from 'fastify';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { ApiContext } from '../context.js';
import { appFor, currentUser } from '../auth-hook.js';
import { appParams, releaseSchema } from '../schemas.js';
import { streamDeploy } from '../deploy-stream.js';
import { archiveTags } from '../image-archive.js';
import { closeWhenAnswered } from './git-hook.js';
import { YbError } from '../../shared/errors.js';
import { may, roleIn } from '../../auth/access.js';
import { DEFAULT_TEAM, type TeamRecord, type User } from '../../auth/tokens.js';
import { importTagProblem, isImageName } from '../../deploy/image-policy.js';

const MAX_UPLOAD = 512 * 1024 * 1024;

/**
 * Passes a stream through, failing it past `limit` bytes; paused until read, so no early data is lost. After a
 * failure the rest of the request is read and dropped (up to a bound), so the client gets to read the answer.
 */
function limited(stream: Readable, limit: number): Readable {
  let n = 0;
  const gate = new Transform({
    transform(chunk: Buffer, _enc, done) {
      n += chunk.length;
      if (n <= limit) return done(null, chunk);
      stream.unpipe(gate);
      stream.on('data', (c: Buffer) => {
        n += c.length;
        if (n > 4 * limit + 16 * 1024 * 1024) stream.destroy();
      });
      stream.resume();
      done(new YbError('YB_ERR_TOO_LARGE', `the upload is larger than ${Math.round(limit / 1024 / 1024)} MiB`));
    },
  });
  return stream.pipe(gate);
}

/** The body, size-limited and gunzipped when `gz`; an error anywhere along the way reaches the stream returned. */
function sourceStream(body: Readable, limit: number, gz: boolean): Readable {
  const gated = limited(body, limit);
  if (!gz) return gated;
  const gunzip = createGunzip();
  gated.on('error', (err) => gunzip.destroy(err));
  return gated.pipe(gunzip);
}

/** The team an import is for: the one named (the caller must be allowed to deploy in it), else the caller's only such team. */
async function importingTeam(ctx: ApiContext, user: User, named: string | undefined): Promise<string> {
  if (named !== undefined) {
    const team = /^[a-z0-9-]{1,64}$/.test(named) ? await ctx.store.get<TeamRecord>(ctx.store.keys.team(named)) : null;
    if (!team || !may(roleIn(user, team), 'deploy')) throw new YbError('YB_ERR_FORBIDDEN', `you cannot import images for team "${named.slice(0, 64)}"`);
    return team.name;
  }
  if (user.admin) return DEFAULT_TEAM;
  const teams = (await ctx.store.list<TeamRecord>(ctx.store.keys.teamsPrefix())).map((e) => e.value).filter((t) => may(roleIn(user, t), 'deploy'));
  if (teams.length === 1) return teams[0]!.name;
  if (teams.length === 0) throw new YbError('YB_ERR_FORBIDDEN', 'you are in no team whose role allows deploys, so you cannot import images');
  throw new YbError('YB_ERR_BAD_REQUEST', `say which team the image is for with --team (you can deploy in: ${teams.map((t) => t.name).join(', ')})`);
}

export function registerDeploys(api: FastifyInstance, ctx: ApiContext): void {
  api.addContentTypeParser(['application/gzip', 'application/x-gzip', 'application/octet-stream'], (_req, payload, done) => done(null, payload));

  // Streaming bodies: the size limit is enforced while reading (limited()), with the answer still delivered.
  api.post(
    '/apps/:app/builds',
    {
      bodyLimit: Number.MAX_SAFE_INTEGER,
      schema: {
        summary: 'Build and deploy a source tarball (tar or tar.gz body); streams the build output as text, ending with a line "\\u0000ok" or "\\u0000fail"',
        params: appParams,
        produces: ['text/plain'],
      },
    },
    async (req, reply) => {
      const app = await appFor(ctx, req, 'deploy');
      const body = req.body as Readable | undefined;
      if (!body || typeof (body as Readable).pipe !== 'function')
        throw new YbError('YB_ERR_BAD_REQUEST', 'send the source as a tar or tar.gz body (content-type application/x-tar or application/gzip)');
      const gz = /gzip/.test(String(req.headers['content-type'])) || req.headers['content-encoding'] === 'gzip';
      const source = sourceStream(body, ctx.maxPushBytes ?? MAX_UPLOAD, gz);
      source.on('error', () => undefined); // the build reads this stream and reports its error; never crash on it
      await streamDeploy(ctx, reply, app.name, (out, signal) => ctx.deployer.deploySource({ app: app.name, source, user: currentUser(req).name, signal }, out));
      closeWhenAnswered(req.raw, reply.raw);
    },
  );

  api.post(
    '/apps/:app/image-deploys',
    {
      schema: {
        summary: "Release a prebuilt image that is present in the local Docker engine and that the app's team imported or built (platform admins: any image)",
        params: appParams,
        body: { type: 'object', required: ['image'], additionalProperties: false, properties: { image: { type: 'string', minLength: 1, maxLength: 255 } } },
        response: { 201: releaseSchema },
      },
    },
    async (req, reply) => {
      const app = await appFor(ctx, req, 'deploy');
      const user = currentUser(req);
      const rel = await ctx.deployer.deployImage(
        { app: app.name, image: (req.body as { image: string }).image, user: user.name, admin: user.admin },
        () => undefined,
      );
      const { config, ...rest } = rel;
      return reply.code(201).send({ ...rest, current: true, configKeys: Object.keys(config) });
    },
  );

  api.post(
    '/images',
    {
      bodyLimit: Number.MAX_SAFE_INTEGER,
      schema: {
        summary:
          "Load an image archive (as made by docker save) into the engine for a team, whose apps may then deploy it; members who may deploy in the team can import. Tags of the platform's images and of images the team does not own are refused",
        querystring: { type: 'object', additionalProperties: false, properties: { team: { type: 'string', minLength: 1, maxLength: 64 } } },
        produces: ['application/json'],
      },
    },
    async (req) => {
      const user = currentUser(req);
      const team = await importingTeam(ctx, user, (req.query as { team?: string }).team);
      const body = req.body as Readable | undefined;
      if (!body || typeof body.pipe !== 'function') throw new YbError('YB_ERR_BAD_REQUEST', 'send the image archive as the body (application/x-tar)');
      const gz = /gzip/.test(String(req.headers['content-type']));
      // Spooled to a file first: the tags it would set are checked before the engine sees it (loading moves tags).
      const dir = join(ctx.dataDir, 'imports');
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const file = join(dir, `${randomBytes(8).toString('hex')}.tar`);
      try {
        try {
          await pipeline(sourceStream(body, 8 * (ctx.maxPushBytes ?? MAX_UPLOAD), gz), createWriteStream(file, { mode: 0o600 }));
        } catch (err) {
          throw err instanceof YbError ? err : new YbError('YB_ERR_BAD_REQUEST', `the archive could not be read: ${(err as Error).message}`, { cause: err });
        }
        const tags = await archiveTags(file);
        if (!user.admin) {
          for (const tag of tags) {
            const current = isImageName(tag) ? ((await ctx.runtime.images.describe(tag))?.id ?? null) : null;
            const problem = importTagProblem(tag, current, current !== null && (await ctx.apps.images.get(team, current)) !== null);
            if (problem) throw new YbError('YB_ERR_FORBIDDEN', problem);
          }
        }
        const loaded = await ctx.runtime.images.load(createReadStream(file));
        const ids = new Map<string, string[]>();
        for (const ref of loaded) {
          const id = /^sha256:[0-9a-f]{64}$/.test(ref) ? ref : await ctx.runtime.images.id(ref);
          ids.set(id, [...(ids.get(id) ?? []), ...(ref === id ? [] : [ref])]);
        }
        for (const [id, refs] of ids) await ctx.apps.images.record({ id, team, source: 'import', refs, by: user.name });
        ctx.log.info({ images: loaded, team, user: user.name }, 'images imported');
        return { loaded, team };
      } finally {
        await rm(file, { force: true });
      }
    },
  );
}
