// /apps/{app}/sni-endpoints (Heroku's name for TLS certificates), /apps/{app}/acm and /apps/{app}/https-only: the HTTP
// layer of the certs component (src/certs/, docs/architecture.md §2): authorisation, bodies, and what callers see
// of a certificate (never its key).
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { appFor } from '../auth-hook.js';
import { appParams } from '../schemas.js';
import { YbError } from '../../shared/errors.js';
import type { CertRecord } from '../../router/tls-record.js';
import { rewriteAppRoutes, routesOfApp } from '../app-routes.js';
import { DEFAULT_RENEW_DAYS, type CertsContext } from '../../certs/context.js';
import { addUploadedCert, appCerts, appHosts, removeCert } from '../../certs/certificates.js';
import { obtainCertificates } from '../../certs/acme-order.js';
import { renewalStates } from '../../certs/renewal.js';
import { renewalView, type RenewalState, type RenewalView } from '../../certs/renewal-policy.js';

/** A certificate as the API shows it: everything but the key (and the PEM chain), with its renewal state. */
type CertView = Omit<CertRecord, 'key' | 'cert'> & { daysLeft: number; renewal: RenewalView };

const view = (ctx: ApiContext, r: CertRecord, state?: RenewalState, now = Date.now()): CertView => {
  const { key: _key, cert: _cert, ...rest } = r;
  return {
    ...rest,
    daysLeft: Math.floor((Date.parse(r.notAfter) - now) / 86_400_000),
    renewal: renewalView(r, ctx.acme?.renewDays ?? DEFAULT_RENEW_DAYS, state),
  };
};

/** The certs component's view of the API's context. */
const certsOf = (ctx: ApiContext): CertsContext => ({
  store: ctx.store,
  log: ctx.log,
  domain: ctx.domain,
  acme: ctx.acme,
  routers: ctx.scheduler,
  apps: ctx.apps,
});

export function registerCerts(api: FastifyInstance, ctx: ApiContext): void {
  const certSchema = {
    type: 'object',
    properties: {
      app: { type: 'string' },
      hostname: { type: 'string' },
      names: { type: 'array', items: { type: 'string' } },
      notBefore: { type: 'string' },
      notAfter: { type: 'string' },
      daysLeft: { type: 'integer' },
      issuer: { type: 'string' },
      subject: { type: 'string' },
      fingerprint: { type: 'string' },
      source: { type: 'string' },
      createdAt: { type: 'string' },
      renewal: {
        type: 'object',
        description: 'ACME certificates are renewed automatically from dueFrom on; the last failed attempt, if any, is shown until one succeeds',
        properties: {
          auto: { type: 'boolean' },
          dueFrom: { type: 'string' },
          renewedAt: { type: 'string' },
          lastError: { type: 'string' },
          lastAttemptAt: { type: 'string' },
        },
      },
    },
  } as const;
  const hostParams = {
    type: 'object',
    properties: { app: { type: 'string', maxLength: 64 }, hostname: { type: 'string', maxLength: 253 } },
    required: ['app', 'hostname'],
  } as const;
  const httpsOnlySchema = { type: 'object', properties: { enabled: { type: 'boolean' }, hosts: { type: 'array', items: { type: 'string' } } } } as const;

  api.get(
    '/apps/:app/sni-endpoints',
    {
      schema: { summary: "TLS certificates of an app's hosts (never their keys)", params: appParams, response: { 200: { type: 'array', items: certSchema } } },
    },
    async (req) => {
      const app = await appFor(ctx, req, 'read');
      const states = await renewalStates(ctx);
      return (await appCerts(ctx, app.name)).map((r) => view(ctx, r, states.get(r.hostname))).sort((a, b) => a.hostname.localeCompare(b.hostname));
    },
  );

  api.post(
    '/apps/:app/sni-endpoints',
    {
      schema: {
        summary: 'Add (or replace) a TLS certificate for the hosts of an app it covers',
        params: appParams,
        body: {
          type: 'object',
          required: ['certificate', 'privateKey'],
          additionalProperties: false,
          properties: { certificate: { type: 'string', minLength: 1, maxLength: 65536 }, privateKey: { type: 'string', minLength: 1, maxLength: 65536 } },
        },
        response: { 201: { type: 'array', items: certSchema } },
      },
    },
    async (req, reply) => {
      const app = await appFor(ctx, req, 'manage');
      const { certificate, privateKey } = req.body as { certificate: string; privateKey: string };
      const written = await addUploadedCert(ctx, app.name, certificate, privateKey);
      return reply.code(201).send(written.map((r) => view(ctx, r)));
    },
  );

  api.post(
    '/apps/:app/acm',
    {
      schema: {
        summary: "Obtain certificates for the app's hosts from the ACME CA (HTTP-01 through the router); wildcards are skipped",
        params: appParams,
        response: {
          200: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                hostname: { type: 'string' },
                ok: { type: 'boolean' },
                error: { type: 'string' },
                notAfter: { type: 'string' },
                issuer: { type: 'string' },
              },
            },
          },
        },
      },
    },
    async (req) => {
      const app = await appFor(ctx, req, 'manage');
      return obtainCertificates(
        certsOf(ctx),
        app.name,
        (await appHosts(ctx, app.name)).filter((h) => !h.startsWith('*.')),
      );
    },
  );

  api.delete(
    '/apps/:app/sni-endpoints/:hostname',
    { schema: { summary: "Remove the TLS certificate of one of an app's hosts", params: hostParams } },
    async (req) => {
      const app = await appFor(ctx, req, 'manage');
      const hostname = (req.params as { hostname: string }).hostname.toLowerCase();
      const rec = await ctx.store.get<CertRecord>(ctx.store.keys.cert(hostname));
      if (!rec || rec.app !== app.name) throw new YbError('YB_ERR_NOT_FOUND', `${app.name} has no certificate for ${hostname}`);
      await removeCert(ctx, hostname);
      return { hostname, removed: true };
    },
  );

  api.get(
    '/apps/:app/https-only',
    { schema: { summary: 'Whether plain HTTP requests to the app are redirected to HTTPS', params: appParams, response: { 200: httpsOnlySchema } } },
    async (req) => {
      const app = await appFor(ctx, req, 'read');
      const routes = await routesOfApp(ctx.store, app.name);
      const on = routes.filter((r) => r.value.httpsOnly === true);
      return { enabled: routes.length > 0 && on.length === routes.length, hosts: on.map((r) => r.host) };
    },
  );

  api.put(
    '/apps/:app/https-only',
    {
      schema: {
        summary: "Redirect (or stop redirecting) plain HTTP requests to the app's hosts to HTTPS",
        params: appParams,
        body: { type: 'object', required: ['enabled'], additionalProperties: false, properties: { enabled: { type: 'boolean' } } },
        response: { 200: httpsOnlySchema },
      },
    },
    async (req) => {
      const app = await appFor(ctx, req, 'manage');
      const { enabled } = req.body as { enabled: boolean };
      const hosts = await rewriteAppRoutes(ctx.store, app.name, ({ httpsOnly: _old, ...rest }) => (enabled ? { ...rest, httpsOnly: true } : rest));
      return { enabled, hosts };
    },
  );
}
