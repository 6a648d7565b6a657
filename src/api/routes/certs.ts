// /apps/{app}/sni-endpoints (Heroku's name for TLS certificates) and /apps/{app}/https-only: certificates for the
// hosts routed to an app, stored per host in certs/<host> with the private key sealed; never returned or logged.
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { appFor } from '../auth-hook.js';
import { appParams } from '../schemas.js';
import { YbError } from '../../shared/errors.js';
import { openFor, sealFor } from '../../auth/secrets.js';
import { AcmeClient, certificateRequest, newAccountKeyPem, type ChallengeStore } from '../../router/acme-client.js';
import { acmeChallengeKey } from '../../router/acme-challenges.js';
import { certCovers, inspectCertificate } from '../../router/tls-inspect.js';
import { certKeyContext, type CertRecord } from '../../router/tls-record.js';
import type { RouteRecord } from '../../store/keys.js';
import { defaultHost } from './apps.js';
import { renewalStateKey, renewalView, type RenewalState, type RenewalView } from '../cert-renewal-policy.js';

/** Days before expiry an ACME certificate is renewed when ybd does not say (YB_ACME_RENEW_DAYS). */
export const DEFAULT_RENEW_DAYS = 30;

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

/** Host names routed to `app`: its default host and its custom domains. */
export async function appHosts(ctx: ApiContext, app: string): Promise<string[]> {
  const custom = await ctx.store.list<{ hostname: string }>(ctx.store.keys.domainsPrefix(app));
  return [defaultHost(ctx, app), ...custom.map((e) => e.value.hostname)];
}

/** Where the ACME account key lives (sealed); next to the challenge keys, outside the routers' watched prefixes. */
const ACCOUNT_CONTEXT = 'acme-account';

async function acmeClient(ctx: ApiContext, directoryUrl: string, email: string): Promise<AcmeClient> {
  const key = `${ctx.store.keys.prefix}certs-acme-account`;
  if (!(await ctx.store.get(key))) await ctx.store.create(key, sealFor(ctx.store, newAccountKeyPem(), ACCOUNT_CONTEXT));
  const accountKeyPem = openFor<string>(ctx.store, await ctx.store.get(key), ACCOUNT_CONTEXT);
  return new AcmeClient({ directoryUrl, accountKeyPem, email: email || undefined }, (msg) => ctx.log.info({ acme: directoryUrl }, msg));
}

function certRecord(app: string, hostname: string, certificate: string, keyPem: string, ctx: ApiContext, source: CertRecord['source']): CertRecord {
  const inspected = inspectCertificate(certificate, keyPem);
  if (!inspected.ok) throw new YbError('YB_ERR_BAD_REQUEST', inspected.problem);
  const info = inspected.info;
  return {
    app,
    hostname,
    cert: info.chain,
    key: sealFor(ctx.store, keyPem, certKeyContext(hostname)) as CertRecord['key'],
    names: info.names,
    notBefore: info.notBefore.toISOString(),
    notAfter: info.notAfter.toISOString(),
    issuer: info.issuer,
    subject: info.subject,
    fingerprint: info.fingerprint,
    source,
    createdAt: new Date().toISOString(),
  };
}

async function appCerts(ctx: ApiContext, app: string): Promise<CertRecord[]> {
  return (await ctx.store.list<CertRecord>(ctx.store.keys.certsPrefix())).map((e) => e.value).filter((r) => r.app === app);
}

/** Orders one host's certificate from the ACME CA (HTTP-01 through the routers); stores nothing. */
export type AcmeOrder = (app: string, hostname: string) => Promise<CertRecord>;

/** One ACME account session for a batch of orders. */
export async function acmeOrderer(ctx: ApiContext): Promise<AcmeOrder> {
  if (!ctx.acme) throw new YbError('YB_ERR_BAD_REQUEST', 'ACME is not configured on this platform (YB_ACME_DIRECTORY)');
  const client = await acmeClient(ctx, ctx.acme.directory, ctx.acme.email);
  const challenges: ChallengeStore = {
    // The CA may validate at once: every live router must serve the answer before the challenge is accepted.
    set: async (token, keyAuth) => ctx.scheduler.waitForRouters(await ctx.store.put(acmeChallengeKey(ctx.store.keys.prefix, token), keyAuth)),
    remove: async (token) => void (await ctx.store.delete(acmeChallengeKey(ctx.store.keys.prefix, token))),
  };
  return async (app, hostname) => {
    const { keyPem, csrDer } = await certificateRequest(hostname);
    const chain = await client.issue(hostname, csrDer, challenges);
    return certRecord(app, hostname, chain, keyPem, ctx, 'acme');
  };
}

/** Gets ACME certificates for `hosts` of `app` (HTTP-01 through the routers) and stores them; per-host results. */
export async function obtainCertificates(
  ctx: ApiContext,
  app: string,
  hosts: string[],
): Promise<Array<{ hostname: string; ok: boolean; error?: string; notAfter?: string; issuer?: string }>> {
  const order = await acmeOrderer(ctx);
  const results: Array<{ hostname: string; ok: boolean; error?: string; notAfter?: string; issuer?: string }> = [];
  for (const hostname of hosts) {
    try {
      const rec = await order(app, hostname);
      await ctx.store.put(ctx.store.keys.cert(hostname), rec);
      await ctx.store.delete(renewalStateKey(ctx.store.keys.prefix, hostname)); // a fresh certificate: no renewal history
      results.push({ hostname, ok: true, notAfter: rec.notAfter, issuer: rec.issuer });
    } catch (err) {
      ctx.log.warn({ app, hostname, err: (err as Error).message }, 'ACME certificate not obtained');
      results.push({ hostname, ok: false, error: (err as Error).message });
    }
  }
  return results;
}

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
      const states = new Map(
        (await ctx.store.list<RenewalState>(renewalStateKey(ctx.store.keys.prefix, ''))).map((e) => [
          e.key.slice(renewalStateKey(ctx.store.keys.prefix, '').length),
          e.value,
        ]),
      );
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
      const inspected = inspectCertificate(certificate, privateKey);
      if (!inspected.ok) throw new YbError('YB_ERR_BAD_REQUEST', inspected.problem);
      const info = inspected.info;
      const hosts = await appHosts(ctx, app.name);
      const covered = hosts.filter((h) => certCovers(info.names, h));
      if (covered.length === 0) {
        throw new YbError('YB_ERR_BAD_REQUEST', `the certificate (${info.names.join(', ')}) covers none of the hosts of ${app.name}: ${hosts.join(', ')}`, {
          hint: `add the host first: yb domains:add HOST -a ${app.name}`,
        });
      }
      const written: CertRecord[] = [];
      for (const hostname of covered) {
        const route = await ctx.store.get<RouteRecord>(ctx.store.keys.route(hostname));
        if (route && route.app !== app.name) throw new YbError('YB_ERR_CONFLICT', `${hostname} is routed to another app`);
        const rec = certRecord(app.name, hostname, certificate, privateKey, ctx, 'manual');
        await ctx.store.put(ctx.store.keys.cert(hostname), rec);
        await ctx.store.delete(renewalStateKey(ctx.store.keys.prefix, hostname));
        written.push(rec);
      }
      ctx.log.info({ app: app.name, hosts: covered, notAfter: info.notAfter.toISOString(), fingerprint: info.fingerprint }, 'certificate added');
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
        ctx,
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
      await ctx.store.delete(ctx.store.keys.cert(hostname));
      await ctx.store.delete(renewalStateKey(ctx.store.keys.prefix, hostname));
      return { hostname, removed: true };
    },
  );

  api.get(
    '/apps/:app/https-only',
    { schema: { summary: 'Whether plain HTTP requests to the app are redirected to HTTPS', params: appParams, response: { 200: httpsOnlySchema } } },
    async (req) => {
      const app = await appFor(ctx, req, 'read');
      const routes = (await ctx.store.list<RouteRecord>(ctx.store.keys.routesPrefix())).filter((e) => e.value.app === app.name);
      const on = routes.filter((e) => e.value.httpsOnly === true);
      return { enabled: routes.length > 0 && on.length === routes.length, hosts: on.map((e) => e.key.slice(ctx.store.keys.routesPrefix().length)) };
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
      const hosts: string[] = [];
      for (const e of await ctx.store.list<RouteRecord>(ctx.store.keys.routesPrefix())) {
        if (e.value.app !== app.name) continue;
        const { httpsOnly: _old, ...rest } = e.value;
        // Compare-and-swap: a route re-assigned meanwhile (domains:remove/add) is left alone.
        if (await ctx.store.replace(e.key, enabled ? { ...rest, httpsOnly: true } : rest, e.modRevision))
          hosts.push(e.key.slice(ctx.store.keys.routesPrefix().length));
      }
      return { enabled, hosts };
    },
  );
}
