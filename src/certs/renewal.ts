// Automatic renewal of ACME certificates: a check every YB_ACME_RENEW_INTERVAL seconds (one at a time) re-orders each
// certificate within YB_ACME_RENEW_DAYS of expiry. A failed renewal never touches the served certificate: it is
// logged, shown by `yb certs` and retried at the next check. Must not renew uploaded certificates.
import type { CertRecord } from '../router/tls-record.js';
import { recordEvent } from '../auth/audit.js';
import { acmeOrderer, type AcmeOrder } from './acme-order.js';
import { appHosts } from './certificates.js';
import type { CertsContext } from './context.js';
import { dueForRenewal, renewalStateKey, type RenewalState } from './renewal-policy.js';

/** Who platform-initiated events are recorded as (not a valid user name, so never confused with one). */
const PLATFORM_USER = '(platform)';

export interface RenewalOutcome {
  renewed: Array<{ app: string; hostname: string; notAfter: string }>;
  failed: Array<{ app: string; hostname: string; error: string }>;
}

/** Renews the ACME certificates that expire within `withinDays`; per-host failures are outcomes, not exceptions. */
export async function renewCertificates(ctx: CertsContext, withinDays: number): Promise<RenewalOutcome> {
  const outcome: RenewalOutcome = { renewed: [], failed: [] };
  const stateOf = (hostname: string) => renewalStateKey(ctx.store.keys.prefix, hostname);
  const entries = await ctx.store.list<CertRecord>(ctx.store.keys.certsPrefix());
  await pruneStates(ctx, new Set(entries.map((e) => e.value.hostname)));
  const due = dueForRenewal(
    entries.map((e) => ({ ...e.value, modRevision: e.modRevision })),
    Date.now(),
    withinDays,
  );
  if (due.length === 0) return outcome;
  let order: AcmeOrder | undefined;
  for (const rec of due) {
    const { app, hostname } = rec;
    const previous = await ctx.store.get<RenewalState>(stateOf(hostname));
    try {
      if (!(await appHosts(ctx, app)).includes(hostname)) throw new Error(`${hostname} is no longer a host of ${app}`);
      order ??= await acmeOrderer(ctx);
      const next = await order(app, hostname);
      // Written only over the certificate that was renewed: one removed or replaced meanwhile stays as it is now.
      if (!(await ctx.store.replace(ctx.store.keys.cert(hostname), next, rec.modRevision))) {
        ctx.log.info({ app, hostname }, 'ACME renewal discarded: the certificate was changed or removed meanwhile');
        continue;
      }
      const at = new Date().toISOString();
      await ctx.store.put(stateOf(hostname), { at, renewedAt: at } satisfies RenewalState);
      ctx.log.info({ app, hostname, previousNotAfter: rec.notAfter, notAfter: next.notAfter, fingerprint: next.fingerprint }, 'ACME certificate renewed');
      await audit(ctx, app, 'cert.renew', { hostname, notAfter: next.notAfter, previousNotAfter: rec.notAfter });
      outcome.renewed.push({ app, hostname, notAfter: next.notAfter });
    } catch (err) {
      const error = reason(err);
      await ctx.store.put(stateOf(hostname), {
        at: new Date().toISOString(),
        ...(previous?.renewedAt ? { renewedAt: previous.renewedAt } : {}),
        error,
      } satisfies RenewalState);
      ctx.log.warn(
        { app, hostname, notAfter: rec.notAfter, err: error },
        'ACME certificate renewal failed; the current certificate stays and the next check retries',
      );
      // One event per run of failures, not one per check.
      if (!previous?.error) await audit(ctx, app, 'cert.renew-failed', { hostname, notAfter: rec.notAfter, error });
      outcome.failed.push({ app, hostname, error });
    }
  }
  return outcome;
}

/** The state of the last renewal attempt of each host that has one. */
export async function renewalStates(ctx: Pick<CertsContext, 'store'>): Promise<Map<string, RenewalState>> {
  const prefix = renewalStateKey(ctx.store.keys.prefix, '');
  return new Map((await ctx.store.list<RenewalState>(prefix)).map((e) => [e.key.slice(prefix.length), e.value]));
}

/** An error's message with its cause ("fetch failed" alone does not say that the CA is unreachable). */
function reason(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  const cause = e.cause?.code ?? e.cause?.message;
  return cause && !e.message.includes(cause) ? `${e.message} (${cause})` : e.message;
}

/** Renewal states of hosts that no longer have a certificate (domain or app removed) go with them. */
async function pruneStates(ctx: CertsContext, hosts: Set<string>): Promise<void> {
  const prefix = renewalStateKey(ctx.store.keys.prefix, '');
  for (const e of await ctx.store.list<RenewalState>(prefix)) if (!hosts.has(e.key.slice(prefix.length))) await ctx.store.delete(e.key);
}

async function audit(ctx: CertsContext, appName: string, action: string, detail: Record<string, unknown>): Promise<void> {
  const app = await ctx.apps.getApp(appName).catch(() => null);
  if (app) await recordEvent(ctx.store, { team: app.team, user: PLATFORM_USER, app: app.name, action, detail }, ctx.log);
}

/**
 * Checks for certificates due every `intervalMs` (the first check after at most a minute, so a control plane that
 * restarts often still renews); one check at a time, the next scheduled when the previous ends. stop() ends it.
 */
export function startCertRenewal(ctx: CertsContext, opts: { withinDays: number; intervalMs: number }): { stop(): void } {
  const intervalMs = Math.max(1000, opts.intervalMs);
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = (ms: number) => {
    if (stopped) return;
    timer = setTimeout(check, ms);
    timer.unref();
  };
  const check = () => {
    renewCertificates(ctx, opts.withinDays)
      .then(
        (r) => (r.renewed.length > 0 || r.failed.length > 0) && ctx.log.info({ renewed: r.renewed.length, failed: r.failed.length }, 'ACME renewal check done'),
        (err: unknown) => ctx.log.warn({ err }, 'ACME renewal check failed; retrying at the next check'),
      )
      .finally(() => schedule(intervalMs));
  };
  schedule(Math.min(intervalMs, 60_000));
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
