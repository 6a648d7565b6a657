// When an ACME certificate is renewed, and the renewal state shown by `yb certs`. Pure: no etcd, no clock of its own.
// The state of the last attempt lives in acme-renewal/<host>, outside the routers' watched span (certs-acme/ … routes/).
import type { CertRecord } from '../router/tls-record.js';

const DAY_MS = 86_400_000;

/** The outcome of the last renewal attempt of one host's certificate. */
export interface RenewalState {
  /** When the last attempt ended. */
  at: string;
  /** When the certificate was last renewed (kept across later failures). */
  renewedAt?: string;
  /** Why the last attempt failed; absent after a success. */
  error?: string;
}

/** What the API shows of a certificate's renewal. */
export interface RenewalView {
  /** Whether the platform renews it (ACME certificates) or its owner must (uploaded ones). */
  auto: boolean;
  /** From when it is due for renewal (`auto` only). */
  dueFrom?: string;
  renewedAt?: string;
  lastError?: string;
  lastAttemptAt?: string;
}

export const renewalStateKey = (prefix: string, hostname: string) => `${prefix}acme-renewal/${hostname}`;

/** The moment a certificate expiring at `notAfter` enters the renewal window of `withinDays`. */
export const renewalDueFrom = (notAfter: string, withinDays: number) => new Date(Date.parse(notAfter) - withinDays * DAY_MS);

/** ACME certificates that expire within `withinDays` of `nowMs` (an unreadable expiry counts as due); uploaded ones never are. */
export function dueForRenewal<T extends Pick<CertRecord, 'source' | 'notAfter'>>(records: T[], nowMs: number, withinDays: number): T[] {
  return records.filter((r) => r.source === 'acme' && !(renewalDueFrom(r.notAfter, withinDays).getTime() > nowMs));
}

export function renewalView(rec: Pick<CertRecord, 'source' | 'notAfter'>, withinDays: number, state?: RenewalState): RenewalView {
  if (rec.source !== 'acme') return { auto: false };
  const due = renewalDueFrom(rec.notAfter, withinDays);
  return {
    auto: true,
    ...(Number.isNaN(due.getTime()) ? {} : { dueFrom: due.toISOString() }),
    ...(state?.renewedAt ? { renewedAt: state.renewedAt } : {}),
    ...(state?.error ? { lastError: state.error, lastAttemptAt: state.at } : {}),
  };
}
