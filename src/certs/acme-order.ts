// Ordering certificates from the ACME CA for an app's hosts: the platform's account key (sealed in etcd, made on first
// use), HTTP-01 answers published for the routers (certs-acme/<token>) and confirmed by every live router before
// the CA is told to validate. Orders return records; obtainCertificates stores them.
import { YbError } from '../shared/errors.js';
import { openFor, sealFor } from '../auth/secrets.js';
import { acmeChallengeKey } from '../router/acme-challenges.js';
import type { CertRecord } from '../router/tls-record.js';
import { AcmeClient, certificateRequest, newAccountKeyPem, type ChallengeStore } from './acme-client.js';
import { certRecord, saveCert } from './certificates.js';
import type { CertsContext } from './context.js';

/** Associated data the ACME account key is sealed with; its key sits next to the challenge keys, outside the routers' watched prefixes. */
const ACCOUNT_CONTEXT = 'acme-account';

async function acmeClient(ctx: CertsContext, directoryUrl: string, email: string): Promise<AcmeClient> {
  const key = `${ctx.store.keys.prefix}certs-acme-account`;
  if (!(await ctx.store.get(key))) await ctx.store.create(key, sealFor(ctx.store, newAccountKeyPem(), ACCOUNT_CONTEXT));
  const accountKeyPem = openFor<string>(ctx.store, await ctx.store.get(key), ACCOUNT_CONTEXT);
  return new AcmeClient({ directoryUrl, accountKeyPem, email: email || undefined }, (msg) => ctx.log.info({ acme: directoryUrl }, msg));
}

/** Orders one host's certificate from the ACME CA (HTTP-01 through the routers); stores nothing. */
export type AcmeOrder = (app: string, hostname: string) => Promise<CertRecord>;

/** One ACME account session for a batch of orders. */
export async function acmeOrderer(ctx: CertsContext): Promise<AcmeOrder> {
  if (!ctx.acme) throw new YbError('YB_ERR_BAD_REQUEST', 'ACME is not configured on this platform (YB_ACME_DIRECTORY)');
  const client = await acmeClient(ctx, ctx.acme.directory, ctx.acme.email);
  const challenges: ChallengeStore = {
    // The CA may validate at once: every live router must serve the answer before the challenge is accepted.
    set: async (token, keyAuth) => ctx.routers.waitForRouters(await ctx.store.put(acmeChallengeKey(ctx.store.keys.prefix, token), keyAuth)),
    remove: async (token) => void (await ctx.store.delete(acmeChallengeKey(ctx.store.keys.prefix, token))),
  };
  return async (app, hostname) => {
    const { keyPem, csrDer } = await certificateRequest(hostname);
    const chain = await client.issue(hostname, csrDer, challenges);
    return certRecord(ctx, app, hostname, chain, keyPem, 'acme');
  };
}

export interface ObtainResult {
  hostname: string;
  ok: boolean;
  error?: string;
  notAfter?: string;
  issuer?: string;
}

/** Gets ACME certificates for `hosts` of `app` (HTTP-01 through the routers) and stores them; per-host results. */
export async function obtainCertificates(ctx: CertsContext, app: string, hosts: string[]): Promise<ObtainResult[]> {
  const order = await acmeOrderer(ctx);
  const results: ObtainResult[] = [];
  for (const hostname of hosts) {
    try {
      const rec = await order(app, hostname);
      await saveCert(ctx, rec);
      results.push({ hostname, ok: true, notAfter: rec.notAfter, issuer: rec.issuer });
    } catch (err) {
      ctx.log.warn({ app, hostname, err: (err as Error).message }, 'ACME certificate not obtained');
      results.push({ hostname, ok: false, error: (err as Error).message });
    }
  }
  return results;
}
