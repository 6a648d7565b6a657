// An app's webhook (docs/architecture.md §4.1): /apps/{app}/webhook to enable, show, rotate and disable it and list
// its deliveries, and the unauthenticated POST /hooks/{app}/{id} that GitHub, GitLab or Gitea call on a push. A
// delivery is verified over its raw body before it is parsed, answered at once and deployed in the background.
import { renamedTo } from '../app-rename.js';
import type { FastifyInstance } from 'fastify';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiContext } from '../context.js';
import { appFor, currentUser } from '../auth-hook.js';
import { appParams } from '../schemas.js';
import { YbError, type ErrorCode } from '../../shared/errors.js';
import { checkRef, parseRemote } from '../../git/sync.js';
import { PROVIDERS, type Delivery, type Provider, deliveryOf, namesRepository, readPush, signatureProblem } from '../../webhooks/deliveries.js';
import { deleteWebhook, getWebhook, listDeliveries, newSecret, putWebhook, recordDelivery, settleDelivery, type OpenWebhook } from '../../webhooks/records.js';
import { recordEvent } from '../../auth/audit.js';
import { toYbError } from '../errors.js';
import { deployWatchOf } from '../deploy-watch.js';
import { syncDeploy } from './git-sync.js';

const webhookSchema = {
  type: 'object',
  properties: {
    enabled: { type: 'boolean' },
    provider: { type: 'string' },
    branch: { type: 'string' },
    repo: { type: 'string' },
    url: { type: 'string' },
    secret: { type: 'string' },
    createdAt: { type: 'string' },
    createdBy: { type: 'string' },
  },
} as const;

const deliverySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    at: { type: 'string' },
    provider: { type: 'string' },
    event: { type: 'string' },
    status: { type: 'integer' },
    outcome: { type: 'string' },
    message: { type: 'string' },
    commit: { type: 'string' },
    release: { type: 'integer' },
  },
} as const;

/** Largest delivery body when the context sets none (YB_WEBHOOK_MAX_KB). */
const DEFAULT_MAX_BODY = 1024 * 1024;

const sameText = (a: string, b: string) => timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());

/** What GET shows: never the secret, the repository without credentials. */
function view(ctx: ApiContext, w: OpenWebhook, withSecret: boolean) {
  return {
    enabled: true,
    provider: w.provider,
    branch: w.branch,
    repo: w.repoShown,
    url: `${ctx.apiUrl}/hooks/${w.app}/${w.hookId}`,
    ...(withSecret ? { secret: w.secret } : {}),
    createdAt: w.createdAt,
    createdBy: w.createdBy,
  };
}

export function registerWebhooks(api: FastifyInstance, ctx: ApiContext): void {
  // Accepted pushes of an app are deployed one after another in the order they came (fetches take different times, and
  // an older commit must not go live after a newer one); one that a newer push overtook while it waited is skipped.
  const queues = new Map<string, { tail: Promise<void>; latest: string }>();
  const enqueue = (w: OpenWebhook, delivery: string, commit: string) => {
    const q = queues.get(w.app) ?? { tail: Promise.resolve(), latest: delivery };
    q.latest = delivery;
    const run = async () => {
      if (q.latest !== delivery) {
        await settleDelivery(ctx.store, w.app, delivery, { outcome: 'superseded', message: 'a newer push came before it was deployed' }).catch(() => undefined);
        return;
      }
      await deployDelivery(ctx, w, delivery, commit);
    };
    q.tail = q.tail.then(run, run);
    queues.set(w.app, q);
    void q.tail.then(() => {
      if (queues.get(w.app) === q && q.latest === delivery) queues.delete(w.app);
    });
  };

  api.get(
    '/apps/:app/webhook',
    { schema: { summary: "The app's webhook (deploy on push elsewhere), without its secret", params: appParams, response: { 200: webhookSchema } } },
    async (req) => {
      const app = await appFor(ctx, req, 'read');
      const w = await getWebhook(ctx.store, app.name);
      return w ? view(ctx, w, false) : { enabled: false };
    },
  );

  api.put(
    '/apps/:app/webhook',
    {
      schema: {
        summary: 'Enable (or change) the webhook that deploys pushes to a branch of a remote repository; answers its URL and secret (kept if it had one)',
        params: appParams,
        body: {
          type: 'object',
          required: ['repo'],
          additionalProperties: false,
          properties: {
            repo: { type: 'string', minLength: 1, maxLength: 2048 },
            branch: { type: 'string', minLength: 1, maxLength: 200 },
            provider: { type: 'string', enum: [...PROVIDERS] },
          },
        },
        response: { 200: webhookSchema },
      },
    },
    async (req) => {
      const app = await appFor(ctx, req, 'manage');
      const body = req.body as { repo: string; branch?: string; provider?: Provider };
      const remote = parseRemote(body.repo);
      const branch = checkRef(body.branch ?? 'main');
      const old = await getWebhook(ctx.store, app.name);
      const user = currentUser(req).name;
      const w: OpenWebhook = {
        app: app.name,
        provider: body.provider ?? 'github',
        branch,
        repo: body.repo,
        repoShown: remote.shown,
        secret: old?.secret ?? newSecret(),
        hookId: old?.hookId ?? randomBytes(12).toString('hex'),
        createdAt: old?.createdAt ?? new Date().toISOString(),
        createdBy: old?.createdBy ?? user,
      };
      await putWebhook(ctx.store, w);
      void recordEvent(
        ctx.store,
        { team: app.team, user, action: 'webhook.enable', app: app.name, ip: req.ip, detail: { provider: w.provider, branch, repo: remote.shown } },
        ctx.log,
      );
      return view(ctx, w, true);
    },
  );

  api.post(
    '/apps/:app/webhook/rotate',
    { schema: { summary: "A new secret for the app's webhook (the old one stops working at once)", params: appParams, response: { 200: webhookSchema } } },
    async (req) => {
      const app = await appFor(ctx, req, 'manage');
      const w = await getWebhook(ctx.store, app.name);
      if (!w) throw new YbError('YB_ERR_NOT_FOUND', `${app.name} has no webhook; enable one with yb webhooks:enable`);
      const next = { ...w, secret: newSecret() };
      await putWebhook(ctx.store, next);
      void recordEvent(ctx.store, { team: app.team, user: currentUser(req).name, action: 'webhook.rotate', app: app.name, ip: req.ip }, ctx.log);
      return view(ctx, next, true);
    },
  );

  api.delete(
    '/apps/:app/webhook',
    { schema: { summary: "Disable the app's webhook (its URL then answers 404)", params: appParams, response: { 200: webhookSchema } } },
    async (req) => {
      const app = await appFor(ctx, req, 'manage');
      if (!(await deleteWebhook(ctx.store, app.name))) throw new YbError('YB_ERR_NOT_FOUND', `${app.name} has no webhook`);
      void recordEvent(ctx.store, { team: app.team, user: currentUser(req).name, action: 'webhook.disable', app: app.name, ip: req.ip }, ctx.log);
      return { enabled: false };
    },
  );

  api.get(
    '/apps/:app/webhook/deliveries',
    {
      schema: {
        summary: "The webhook's recent deliveries, newest first, with what became of each",
        params: appParams,
        response: { 200: { type: 'array', items: deliverySchema } },
      },
    },
    async (req) => {
      const app = await appFor(ctx, req, 'read');
      return (await listDeliveries(ctx.store, app.name)).reverse().map(({ digest: _d, verified: _v, ...d }) => d);
    },
  );

  // The delivery endpoint reads its body raw (the signature is over the exact bytes) within its own size limit.
  const maxBody = ctx.webhookMaxBytes ?? DEFAULT_MAX_BODY;
  api.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: maxBody }, (_req, body, done) => done(null, body));
    scope.addContentTypeParser('*', (_req, _payload, done) => done(unsupported(), undefined));
    scope.post(
      '/hooks/:app/:id',
      {
        bodyLimit: maxBody,
        schema: {
          summary:
            'A push delivery from GitHub (X-Hub-Signature-256), GitLab (X-Gitlab-Token) or Gitea (X-Gitea-Signature); no API token: the signature over the raw JSON body is checked. 202 when a deploy was started, 200 when the delivery was acknowledged and ignored',
          params: {
            type: 'object',
            properties: { app: { type: 'string', maxLength: 64 }, id: { type: 'string', maxLength: 64 } },
            required: ['app', 'id'],
          },
          response: {
            200: { type: 'object', properties: { outcome: { type: 'string' }, message: { type: 'string' } } },
            202: { type: 'object', properties: { outcome: { type: 'string' }, message: { type: 'string' }, commit: { type: 'string' } } },
          },
        },
      },
      async (req, reply) => {
        const { app: named, id } = req.params as { app: string; id: string };
        // A payload URL made before an apps:rename names the old app; the webhook (its random id, its secret) went with the app.
        const app = /^[a-z0-9-]{1,64}$/.test(named) && !(await ctx.apps.getApp(named)) ? ((await renamedTo(ctx, named)) ?? named) : named;
        const w = /^[a-z0-9-]{1,64}$/.test(app) ? await getWebhook(ctx.store, app) : null;
        if (!w || !sameText(id, w.hookId)) throw new YbError('YB_ERR_NOT_FOUND', 'no such webhook');
        if (!Buffer.isBuffer(req.body)) throw unsupported();
        const raw = req.body;
        const { event, id: deliveryId, digest } = deliveryOf(w.provider, req.headers, raw);
        const base = { id: deliveryId, digest, at: new Date().toISOString(), provider: w.provider, event };
        // Recorded before it is answered; a replay (a verified delivery's id or body seen before) is recorded as refused, 409.
        const record = async (d: Delivery) => {
          try {
            await recordDelivery(ctx.store, app, d);
          } catch (err) {
            const e = toYbError(err);
            if (e.code !== 'YB_ERR_CONFLICT') throw err;
            await recordDelivery(ctx.store, app, { ...d, status: 409, outcome: 'refused', message: e.message, verified: false });
            throw e;
          }
        };
        const refuse = async (status: number, code: ErrorCode, message: string, verified: boolean): Promise<never> => {
          await record({ ...base, status, outcome: 'refused', message, verified });
          ctx.log.info({ app, delivery: deliveryId, status }, `webhook delivery refused: ${message}`);
          throw new YbError(code, message);
        };

        const problem = signatureProblem(w.provider, req.headers, raw, w.secret);
        if (problem) return refuse(problem.status, problem.status === 401 ? 'YB_ERR_UNAUTHORIZED' : 'YB_ERR_BAD_REQUEST', problem.message, false);
        let body: unknown;
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          return refuse(400, 'YB_ERR_BAD_REQUEST', 'the delivery body is not JSON', true);
        }
        const push = readPush(w.provider, event, body, w.branch);
        if (push.kind === 'bad') return refuse(400, 'YB_ERR_BAD_REQUEST', push.reason, true);
        if (push.kind === 'push' && !namesRepository(w.repo, push.repositories))
          return refuse(403, 'YB_ERR_FORBIDDEN', `the payload names another repository than the webhook's (${w.repoShown}); nothing is deployed`, true);

        const answer =
          push.kind === 'ping'
            ? { status: 200, outcome: 'pong', message: 'the webhook is set up' }
            : push.kind === 'ignore'
              ? { status: 200, outcome: 'ignored', message: push.reason }
              : { status: 202, outcome: 'accepted', message: `deploying ${push.commit.slice(0, 7)} of ${w.branch}`, commit: push.commit };
        await record({ ...base, ...answer, verified: true });
        if (push.kind === 'push') enqueue(w, deliveryId, push.commit);
        return reply.code(answer.status as 200 | 202).send(answer);
      },
    );
  });
}

function unsupported(): YbError {
  return new YbError('YB_ERR_UNSUPPORTED_MEDIA_TYPE', 'a webhook delivery must be JSON (set the webhook content type to application/json)');
}

/** The accepted push, fetched from the webhook's own repository URL (never one from the payload) and deployed. */
async function deployDelivery(ctx: ApiContext, w: OpenWebhook, delivery: string, commit: string): Promise<void> {
  const watch = deployWatchOf(ctx).begin(w.app);
  const out = (line: string) => watch.line(line);
  const settle = (o: Parameters<typeof settleDelivery>[3]) =>
    settleDelivery(ctx.store, w.app, delivery, o).catch((err: unknown) => ctx.log.warn({ err, app: w.app }, 'could not record a webhook outcome'));
  try {
    await settle({ outcome: 'deploying' });
    const app = await ctx.apps.getApp(w.app);
    if (app)
      void recordEvent(
        ctx.store,
        { team: app.team, user: `webhook:${w.provider}`, action: 'webhook.deploy', app: w.app, detail: { delivery, commit } },
        ctx.log,
      );
    const rel = await syncDeploy(ctx, { app: w.app, remote: parseRemote(w.repo), ref: commit, branch: w.branch, user: `webhook:${w.provider}` }, out);
    out(`-----> v${rel.version} is live`);
    watch.end(true);
    await settle({ outcome: 'deployed', release: rel.version, message: `v${rel.version} from ${commit.slice(0, 7)}` });
    ctx.log.info({ app: w.app, delivery, commit, release: rel.version }, 'webhook delivery deployed');
  } catch (err) {
    const e = toYbError(err);
    out(`!     ${e.message}`);
    watch.end(false);
    await settle({ outcome: 'failed', message: e.message });
    ctx.log.warn({ app: w.app, delivery, commit, err: e.code === 'YB_ERR_INTERNAL' ? err : e.message }, 'webhook delivery failed to deploy');
  }
}
