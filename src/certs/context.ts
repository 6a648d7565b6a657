// What the certificates component (docs/architecture.md §2) is given: the store, a logger, the ACME settings and two
// narrow views of other components, so that it imports neither the scheduler nor the API. Built by the wiring
// (src/control-plane.ts) and by the API's certs routes.
import type { Store } from '../store/store.js';
import type { Logger } from '../shared/logger.js';

/** Days before expiry an ACME certificate is renewed when ybd does not say (YB_ACME_RENEW_DAYS). */
export const DEFAULT_RENEW_DAYS = 30;

/** The ACME CA of `yb certs:auto` and renewals (YB_ACME_DIRECTORY, YB_ACME_EMAIL, YB_ACME_RENEW_DAYS). */
export interface AcmeSettings {
  directory: string;
  email: string;
  renewDays?: number;
}

export interface CertsContext {
  store: Store;
  log: Logger;
  /** Every app's default host is `<app>.<domain>`. */
  domain: string;
  /** Absent: ACME is not configured and ordering fails in one sentence. */
  acme?: AcmeSettings;
  /** Resolves once every live router applied `revision` (the scheduler's confirmation, docs/architecture.md §5). */
  routers: { waitForRouters(revision: number): Promise<void> };
  /** An app's record (its team, for audit events); null when there is no such app. */
  apps: { getApp(name: string): Promise<{ name: string; team: string } | null> };
}
