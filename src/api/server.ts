// The control plane's HTTP server: REST API, git over HTTP, the internal hook endpoint and /openapi.json.
// Every route except /healthz, /openapi.json and the git/hook endpoints (which authenticate themselves) needs a token.
import type { Duplex } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { ApiContext } from './context.js';
import { authenticateRequest, userMay } from './auth-hook.js';
import { makeErrorHandler } from './errors.js';
import { collectRoutes, openApiDocument } from './openapi.js';
import { registerApps } from './routes/apps.js';
import { renamedTo } from './app-rename.js';
import { registerAppRename } from './routes/app-rename.js';
import { registerConfig } from './routes/config.js';
import { registerReleases } from './routes/releases.js';
import { registerGitHook } from './routes/git-hook.js';
import { registerDynos } from './routes/dynos.js';
import { registerBuilds } from './routes/builds.js';
import { registerLogs } from './routes/logs.js';
import { registerMetrics } from './routes/metrics.js';
import { registerServices } from './routes/services.js';
import { registerDeps } from './routes/deps.js';
import { registerDeploys } from './routes/deploys.js';
import { registerDomains } from './routes/domains.js';
import { registerCerts } from './routes/certs.js';
import { registerMaintenance } from './routes/maintenance.js';
import { registerCron } from './routes/cron.js';
import { registerAutoscale } from './routes/autoscale.js';
import { registerStorage } from './routes/storage.js';
import { registerTemplates } from './routes/templates.js';
import { registerGitSync } from './routes/git-sync.js';
import { registerWebhooks } from './routes/webhooks.js';
import { registerPipelines } from './routes/pipelines.js';
import { registerReviewApps } from './routes/review-apps.js';
import { isReviewParent } from '../pipelines/pipeline-records.js';
import { registerGitHttp } from '../git/http.js';
import { registerTeams } from './routes/teams.js';
import { registerTokens } from './routes/tokens.js';
import { registerKeys } from './routes/keys.js';
import { registerAdminBackup } from './routes/admin-backup.js';
import { registerEvents } from './routes/events.js';
import { authenticate } from '../auth/tokens.js';
import { YbError, errorId } from '../shared/errors.js';
import { PLATFORM_VERSION } from '../shared/version.js';
import { LAYOUT_VERSION } from '../store/migrations/steps.js';
import { handleRunUpgrade, isRunUpgrade } from './run-session.js';
import { handleRunWebSocket, isRunWebSocket, registerRunDocs } from './run-websocket.js';
import { registerSession } from './routes/session.js';
import { registerDeployLive } from './routes/deploy-live.js';
import { CONSOLE_PATHS, registerConsole } from './console-static.js';

const PUBLIC = [/^\/healthz$/, /^\/openapi\.json$/, /^\/git\//, /^\/internal\//, /^\/hooks\//, /^\/login$/, /^\/session$/, ...CONSOLE_PATHS];

export async function buildApiServer(ctx: ApiContext): Promise<FastifyInstance> {
  // Receiving a request is bounded (a slow head or a body that never ends closes the connection); sending the
  // answer is not, so build streams, logs -t and yb run (an upgraded socket) live as long as they need.
  const requestMs = ctx.timeouts?.requestMs ?? 600_000;
  const headersMs = Math.min(ctx.timeouts?.headersMs ?? 30_000, requestMs);
  const api = Fastify({
    requestTimeout: requestMs,
    // Node checks these deadlines on a timer: once a second, so that a small test setting is honoured promptly.
    http: { headersTimeout: headersMs, requestTimeout: requestMs, connectionsCheckingInterval: Math.min(1000, headersMs) },
    logger: false,
    bodyLimit: 1024 * 1024,
    trustProxy: ctx.trustedProxies?.length ? ctx.trustedProxies : false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
    // Malformed URLs and over-long path parameters are refused before routing: answer them as { id, message } too (found by fuzzing, #6).
    frameworkErrors: (err, _req, reply) =>
      (reply as unknown as FastifyReply).code(400).send({
        id: errorId('YB_ERR_BAD_REQUEST'),
        message: err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a name in the URL is longer than 100 characters' : 'the URL is not valid',
      }),
    clientErrorHandler: (err, socket) => {
      if (!socket.writable) return socket.destroy();
      const code = (err as { code?: string }).code;
      const timedOut = code === 'ERR_HTTP_REQUEST_TIMEOUT';
      const message = timedOut
        ? `the request was not received in time (head within ${headersMs / 1000} s, whole request within ${requestMs / 1000} s)`
        : code === 'HPE_HEADER_OVERFLOW'
          ? 'the request line or headers are larger than 16 KB'
          : 'malformed HTTP request';
      const body = JSON.stringify({ id: errorId('YB_ERR_BAD_REQUEST'), message });
      socket.end(
        `HTTP/1.1 ${timedOut ? '408 Request Timeout' : '400 Bad Request'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      socket.destroySoon();
    },
  });
  const routes = collectRoutes(api);
  api.setErrorHandler(makeErrorHandler(ctx.log));
  api.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ id: errorId('YB_ERR_NOT_FOUND'), message: `no route ${req.method} ${req.url.split('?')[0]!.slice(0, 100)}` }),
  );
  api.addHook('onRequest', async (req) => {
    const path = req.url.split('?')[0]!;
    if (PUBLIC.some((p) => p.test(path))) return;
    req.user = await authenticateRequest(ctx, req);
  });

  api.get('/healthz', { schema: { summary: 'Liveness of the control plane' } }, async () => {
    await ctx.store.ping();
    return { ok: true };
  });
  api.get('/openapi.json', { schema: { summary: 'This document' } }, async () => openApiDocument(routes, ctx.apiUrl));
  // Behind a token (unlike /healthz): an exact version tells an anonymous scanner which advisories apply.
  api.get('/version', { schema: { summary: "The server's version, its Node.js and the state layout it runs" } }, async (req) => {
    if (!req.user) throw new YbError('YB_ERR_UNAUTHORIZED');
    return { version: PLATFORM_VERSION, node: process.version, layout: LAYOUT_VERSION };
  });

  api.get('/account', { schema: { summary: 'The user the token belongs to' } }, async (req) => {
    if (!req.user) throw new YbError('YB_ERR_UNAUTHORIZED');
    return { name: req.user.name, admin: req.user.admin };
  });

  registerEvents(api, ctx);
  registerApps(api, ctx);
  registerAppRename(api, ctx);
  registerConfig(api, ctx);
  registerReleases(api, ctx);
  registerDynos(api, ctx);
  registerBuilds(api, ctx);
  registerLogs(api, ctx);
  registerMetrics(api, ctx);
  registerServices(api, ctx);
  registerDeps(api, ctx);
  registerDeploys(api, ctx);
  registerDomains(api, ctx);
  registerCerts(api, ctx);
  registerMaintenance(api, ctx);
  registerCron(api, ctx);
  registerAutoscale(api, ctx);
  registerStorage(api, ctx);
  registerTemplates(api, ctx);
  registerGitSync(api, ctx);
  registerWebhooks(api, ctx);
  registerPipelines(api, ctx);
  registerReviewApps(api, ctx);
  registerGitHook(api, ctx);
  registerTeams(api, ctx);
  registerTokens(api, ctx);
  registerKeys(api, ctx);
  registerAdminBackup(api, ctx);
  // The web console (docs/architecture.md §8): its sign-in, live deploy output and static files.
  registerSession(api, ctx);
  registerDeployLive(api, ctx);
  registerRunDocs(api, ctx);
  registerConsole(api, ctx.consoleDir);
  registerGitHttp(api, {
    dataDir: ctx.dataDir,
    hookUrl: `${ctx.apiUrl}/internal/git-hook`,
    hookSecret: ctx.hookSecret,
    authenticate: (token) => authenticate(ctx.store, token),
    authorize: async (user, app, action) => userMay(ctx, user, await ctx.apps.getApp(app), action),
    renamedTo: async (user, app) => {
      const to = await renamedTo(ctx, app);
      return to && (await userMay(ctx, user, await ctx.apps.getApp(to), 'read')) ? to : null;
    },
    maxPushBytes: ctx.maxPushBytes ?? 512 * 1024 * 1024,
    reviewParent: (app) => isReviewParent(ctx.store, app),
  });
  // Upgraded sockets (yb run from the CLI or the console) are the server's connections until they end: a stop would
  // wait for every open run. They are closed first instead; closing one removes its one-off (run-session.ts).
  const upgraded = new Set<Duplex>();
  api.server.on('upgrade', (req, socket, head) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    if (isRunUpgrade(req)) void handleRunUpgrade(ctx, req, socket);
    else if (isRunWebSocket(req)) void handleRunWebSocket(ctx, req, socket, head);
    else socket.destroy();
  });
  api.addHook('preClose', async () => {
    for (const socket of upgraded) socket.destroy();
  });
  return api;
}
