// The etcd key layout of the platform (docs/architecture.md §3) and the JSON shapes stored under it.
// Pure: builds key strings and declares value types; performs no I/O and imports nothing of the platform.

/** Every key lives under this prefix; tests give each run its own. */
export const DEFAULT_PREFIX = '/yunbang/';

/** Value of `routes/<host>`: which app answers for a host name. */
export interface RouteRecord {
  app: string;
  /** Redirect plain HTTP to HTTPS for this host (set per app). */
  httpsOnly?: boolean;
  /** The app is down for maintenance (set per app): the router answers 503 with this page, or its own. */
  maintenance?: { page?: string };
}

/** Largest custom maintenance page, in bytes: it is copied into every route record of the app. */
export const MAX_MAINTENANCE_PAGE = 64 * 1024;

/** Value of `endpoints/<app>/<type>/<instance>`: one healthy, routable container. */
export interface EndpointRecord {
  host: string;
  port: number;
  release: number;
  container: string;
}

/** Value of `routers/<id>`: a live router and the store revision its table reflects. */
export interface RouterRecord {
  id: string;
  revision: number;
  addr: string;
  updatedAt: string;
}

/** Key builders for one prefix. */
export function keys(prefix: string = DEFAULT_PREFIX) {
  const p = prefix.endsWith('/') ? prefix : `${prefix}/`;
  return {
    prefix: p,
    app: (app: string) => `${p}apps/${app}`,
    appsPrefix: () => `${p}apps/`,
    config: (app: string) => `${p}apps/${app}/config`,
    release: (app: string, n: number) => `${p}apps/${app}/releases/${String(n).padStart(8, '0')}`,
    releasesPrefix: (app: string) => `${p}apps/${app}/releases/`,
    releaseCounter: (app: string) => `${p}apps/${app}/release-seq`,
    formation: (app: string, type: string) => `${p}apps/${app}/formation/${type}`,
    formationPrefix: (app: string) => `${p}apps/${app}/formation/`,
    domain: (app: string, host: string) => `${p}apps/${app}/domains/${host}`,
    domainsPrefix: (app: string) => `${p}apps/${app}/domains/`,
    mount: (app: string, volume: string) => `${p}apps/${app}/mounts/${volume}`,
    mountsPrefix: (app: string) => `${p}apps/${app}/mounts/`,
    volume: (name: string) => `${p}volumes/${name}`,
    volumesPrefix: () => `${p}volumes/`,
    cronJob: (app: string, id: string) => `${p}apps/${app}/cron/${id}`,
    cronJobsPrefix: (app: string) => `${p}apps/${app}/cron/`,
    /** The last minute the cron runner looked at (src/cron/cron-runner.ts): runs after it and before now were missed. */
    cronClock: () => `${p}cron-clock`,
    /** Autoscaling of a process type (src/autoscale/): the policy a user set, and what the autoscaler keeps of it. */
    autoscale: (app: string, type: string) => `${p}apps/${app}/autoscale/${type}`,
    autoscalePrefix: (app: string) => `${p}apps/${app}/autoscale/`,
    autoscaleState: (app: string, type: string) => `${p}apps/${app}/autoscale-state/${type}`,
    build: (app: string, id: string) => `${p}builds/${app}/${id}`,
    buildsPrefix: (app: string) => `${p}builds/${app}/`,
    endpoint: (app: string, type: string, instance: string) => `${p}endpoints/${app}/${type}/${instance}`,
    endpointsPrefix: (app?: string) => (app ? `${p}endpoints/${app}/` : `${p}endpoints/`),
    route: (host: string) => `${p}routes/${host}`,
    routesPrefix: () => `${p}routes/`,
    router: (id: string) => `${p}routers/${id}`,
    routersPrefix: () => `${p}routers/`,
    user: (name: string) => `${p}users/${name}`,
    usersPrefix: () => `${p}users/`,
    team: (name: string) => `${p}teams/${name}`,
    teamsPrefix: () => `${p}teams/`,
    token: (sha256: string) => `${p}tokens/${sha256}`,
    tokensPrefix: () => `${p}tokens/`,
    sshKey: (fingerprint: string) => `${p}keys/${fingerprint}`,
    sshKeysPrefix: () => `${p}keys/`,
    service: (name: string) => `${p}services/${name}`,
    servicesPrefix: () => `${p}services/`,
    /** A service's backup schedule and off-site store (src/services/backup-plan.ts), its keys sealed. */
    serviceBackupPlan: (name: string) => `${p}services/${name}/backup-plan`,
    /** The last scheduled backup run of a service, the runs it missed or skipped. */
    serviceBackupRuns: (name: string) => `${p}services/${name}/backup-runs`,
    /** The last minute the service backup scheduler looked at: runs after it and before now were missed. */
    serviceBackupClock: () => `${p}service-backup-clock`,
    cert: (host: string) => `${p}certs/${host}`,
    certsPrefix: () => `${p}certs/`,
    deployLock: (app: string) => `${p}locks/deploy/${app}`,
    /** `locks/rename/<new>`: an `apps:rename` to this name in progress (release/rename-plan.ts); reserves the name. */
    renameJournal: (to: string) => `${p}locks/rename/${to}`,
    renameJournalsPrefix: () => `${p}locks/rename/`,
    /** `former-names/<old>`: the name an app was renamed to, for its old git remote's answer. */
    formerName: (old: string) => `${p}former-names/${old}`,
    formerNamesPrefix: () => `${p}former-names/`,
    /** `team-images/<team>/<image id>`: the team imported this image or a build of its app made it (sorts after routes/, outside the routers' watch). */
    teamImage: (team: string, imageId: string) => `${p}team-images/${team}/${imageId}`,
    teamImagesPrefix: (team?: string) => (team ? `${p}team-images/${team}/` : `${p}team-images/`),
    /** `workflow/pipelines/<name>` and `workflow/review-apps/<app>` (src/pipelines/): after routes/, outside the routers' watch span. */
    pipeline: (name: string) => `${p}workflow/pipelines/${name}`,
    pipelinesPrefix: () => `${p}workflow/pipelines/`,
    reviewApp: (app: string) => `${p}workflow/review-apps/${app}`,
    reviewAppsPrefix: () => `${p}workflow/review-apps/`,
    /** `schema/version`: the state layout version (docs/architecture.md §9); absent before layouts were versioned (0). */
    layoutVersion: () => `${p}schema/version`,
    /** `schema/migrating`: the migration step in progress; present only while one runs or after one was cut short. */
    layoutMigration: () => `${p}schema/migrating`,
  };
}

export type Keys = ReturnType<typeof keys>;

/** Splits `endpoints/<app>/<type>/<instance>` (after the prefix) into its parts; null for other keys. */
export function parseEndpointKey(prefix: string, key: string): { app: string; type: string; instance: string } | null {
  const k = keys(prefix);
  if (!key.startsWith(k.endpointsPrefix())) return null;
  const parts = key.slice(k.endpointsPrefix().length).split('/');
  if (parts.length !== 3 || parts.some((s) => s === '')) return null;
  return { app: parts[0]!, type: parts[1]!, instance: parts[2]! };
}

/** Host name of a `routes/<host>` key; null for other keys. */
export function parseRouteKey(prefix: string, key: string): string | null {
  const k = keys(prefix);
  if (!key.startsWith(k.routesPrefix())) return null;
  const host = key.slice(k.routesPrefix().length);
  return host === '' || host.includes('/') ? null : host;
}
