// Deploys without git: a source tarball upload (Heroku's source_blob), a prebuilt local image, and loading an
// image archive into the engine. Source uploads stream the build output back like a git push does.
import type { FastifyInstance } from 'fastify';
import { Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { ApiContext } from '../context.js';
import { appFor, currentUser } from '../auth-hook.js';
import { appParams, releaseSchema } from '../schemas.js';
import { streamDeploy } from '../deploy-stream.js';
import { closeWhenAnswered } from './git-hook.js';
import { YbError } from '../../shared/errors.js';

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

export function registerDeploys(api: FastifyInstance, ctx: ApiContext): void {
  api.addContentTypeParser(['application/gzip', 'application/x-gzip', 'application/octet-stream'], (_req, payload, done) => done(null, payload));

  // Streaming bodies: the size limit is enforced while reading (limited()), with the answer still delivered.
  api.post('/apps/:app/builds', {
    bodyLimit: Number.MAX_SAFE_INTEGER,
    schema: {
      summary: 'Build and deploy a source tarball (tar or tar.gz body); streams the build output as text, ending with a line "\\u0000ok" or "\\u0000fail"',
      params: appParams,
      produces: ['text/plain'],
    },
  }, async (req, reply) => {
    const app = await appFor(ctx, req, 'deploy');
    let body = req.body as Readable | undefined;
    if (!body || typeof (body as Readable).pipe !== 'function') throw new YbError('YB_ERR_BAD_REQUEST', 'send the source as a tar or tar.gz body (content-type application/x-tar or application/gzip)');
    const gz = /gzip/.test(String(req.headers['content-type'])) || req.headers['content-encoding'] === 'gzip';
    const source = sourceStream(body, ctx.maxPushBytes ?? MAX_UPLOAD, gz);
    source.on('error', () => undefined); // the build reads this stream and reports its error; never crash on it
    await streamDeploy(ctx, reply, app.name, (out) => ctx.deployer.deploySource({ app: app.name, source, user: currentUser(req).name }, out));
    closeWhenAnswered(req.raw, reply.raw);
  });

  api.post('/apps/:app/image-deploys', {
    schema: {
      summary: 'Release a prebuilt image that is present in the local Docker engine',
      params: appParams,
      body: { type: 'object', required: ['image'], additionalProperties: false, properties: { image: { type: 'string', minLength: 1, maxLength: 255 } } },
      response: { 201: releaseSchema },
    },
  }, async (req, reply) => {
    const app = await appFor(ctx, req, 'deploy');
    const rel = await ctx.deployer.deployImage({ app: app.name, image: (req.body as { image: string }).image, user: currentUser(req).name }, () => undefined);
    const { config, ...rest } = rel;
    return reply.code(201).send({ ...rest, current: true, configKeys: Object.keys(config) });
  });

  api.post('/images', {
    bodyLimit: Number.MAX_SAFE_INTEGER,
    schema: { summary: 'Load an image archive (as made by docker save) into the engine; platform admins only', produces: ['application/json'] },
  }, async (req) => {
    if (!currentUser(req).admin) throw new YbError('YB_ERR_FORBIDDEN', 'only platform administrators can import images');
    const body = req.body as Readable | undefined;
    if (!body || typeof body.pipe !== 'function') throw new YbError('YB_ERR_BAD_REQUEST', 'send the image archive as the body (application/x-tar)');
    const gz = /gzip/.test(String(req.headers['content-type']));
    const archive = sourceStream(body, 8 * (ctx.maxPushBytes ?? MAX_UPLOAD), gz);
    let failure: Error | undefined;
    archive.on('error', (err) => (failure = err));
    const stream = await ctx.runtime.call(() => ctx.runtime.docker.loadImage(archive));
    const text = await new Promise<string>((resolve, reject) => {
      let s = '';
      (stream as Readable).on('data', (d: Buffer) => (s += d.toString()));
      (stream as Readable).on('end', () => resolve(s));
      (stream as Readable).on('error', reject);
    });
    if (failure) throw failure instanceof YbError ? failure : new YbError('YB_ERR_BAD_REQUEST', `the archive could not be read: ${failure.message}`);
    const loaded = [...text.matchAll(/Loaded image(?: ID)?: ([^\\"\n]+)/g)].map((m) => m[1]!.trim());
    const error = /"error":"([^"]+)"/.exec(text)?.[1];
    if (error || loaded.length === 0) throw new YbError('YB_ERR_BAD_REQUEST', `the archive could not be loaded: ${error ?? 'no image in it'}`);
    ctx.log.info({ images: loaded, user: currentUser(req).name }, 'images imported');
    return { loaded };
  });
}
