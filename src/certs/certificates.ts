// The certificate records of the hosts routed to an app (`certs/<host>`, read by the routers): made from a chain and
// its key (the key sealed, never returned or logged), written and removed together with their renewal state.
import { YbError } from '../shared/errors.js';
import { sealFor } from '../auth/secrets.js';
import { certCovers, inspectCertificate } from '../router/tls-inspect.js';
import { certKeyContext, type CertRecord } from '../router/tls-record.js';
import type { RouteRecord } from '../store/keys.js';
import { renewalStateKey } from './renewal-policy.js';
import type { CertsContext } from './context.js';

/** Host names routed to `app`: its default host (as api/routes/apps.ts names it) and its custom domains. */
export async function appHosts(ctx: Pick<CertsContext, 'store' | 'domain'>, app: string): Promise<string[]> {
  const custom = await ctx.store.list<{ hostname: string }>(ctx.store.keys.domainsPrefix(app));
  return [`${app}.${ctx.domain}`, ...custom.map((e) => e.value.hostname)];
}

/** The record of `hostname`'s certificate; a chain that does not match its key or cannot be read is a bad request. */
export function certRecord(
  ctx: Pick<CertsContext, 'store'>,
  app: string,
  hostname: string,
  certificate: string,
  keyPem: string,
  source: CertRecord['source'],
): CertRecord {
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

/** The certificates of `app`'s hosts. */
export async function appCerts(ctx: Pick<CertsContext, 'store'>, app: string): Promise<CertRecord[]> {
  return (await ctx.store.list<CertRecord>(ctx.store.keys.certsPrefix())).map((e) => e.value).filter((r) => r.app === app);
}

/** Stores a fresh certificate for its host: a new one has no renewal history. */
export async function saveCert(ctx: Pick<CertsContext, 'store'>, rec: CertRecord): Promise<void> {
  await ctx.store.put(ctx.store.keys.cert(rec.hostname), rec);
  await ctx.store.delete(renewalStateKey(ctx.store.keys.prefix, rec.hostname));
}

/** Removes `hostname`'s certificate and its renewal state. */
export async function removeCert(ctx: Pick<CertsContext, 'store'>, hostname: string): Promise<void> {
  await ctx.store.delete(ctx.store.keys.cert(hostname));
  await ctx.store.delete(renewalStateKey(ctx.store.keys.prefix, hostname));
}

/**
 * Stores an uploaded certificate for every host of `app` it covers. Refused in one sentence: a chain that does not
 * match its key or cannot be read, one that covers none of the app's hosts, a covered host routed to another app.
 */
export async function addUploadedCert(
  ctx: Pick<CertsContext, 'store' | 'domain' | 'log'>,
  app: string,
  certificate: string,
  privateKey: string,
): Promise<CertRecord[]> {
  const inspected = inspectCertificate(certificate, privateKey);
  if (!inspected.ok) throw new YbError('YB_ERR_BAD_REQUEST', inspected.problem);
  const info = inspected.info;
  const hosts = await appHosts(ctx, app);
  const covered = hosts.filter((h) => certCovers(info.names, h));
  if (covered.length === 0) {
    throw new YbError('YB_ERR_BAD_REQUEST', `the certificate (${info.names.join(', ')}) covers none of the hosts of ${app}: ${hosts.join(', ')}`, {
      hint: `add the host first: yb domains:add HOST -a ${app}`,
    });
  }
  const written: CertRecord[] = [];
  for (const hostname of covered) {
    const route = await ctx.store.get<RouteRecord>(ctx.store.keys.route(hostname));
    if (route && route.app !== app) throw new YbError('YB_ERR_CONFLICT', `${hostname} is routed to another app`);
    const rec = certRecord(ctx, app, hostname, certificate, privateKey, 'manual');
    await saveCert(ctx, rec);
    written.push(rec);
  }
  ctx.log.info({ app, hosts: covered, notAfter: info.notAfter.toISOString(), fingerprint: info.fingerprint }, 'certificate added');
  return written;
}
