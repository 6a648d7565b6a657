// How a service or an app dependency reaches an app: the config vars of a link (URL + HOST/PORT/USER/
// PASSWORD/NAME), of an app-to-app dependency (URL/HOST/PORT), names and aliases, and parsing of attached URLs. Pure.
import { YbError } from '../shared/errors.js';
import { kindOfScheme, type Connection, type ServiceKind } from './kinds.js';

const SERVICE_NAME = /^[a-z][a-z0-9-]{1,28}[a-z0-9]$/;
const ALIAS = /^[A-Z][A-Z0-9_]{0,40}$/;

/** Service names share the team network's DNS with app names, so they follow the same rule. */
export function checkServiceName(name: string): string {
  if (!SERVICE_NAME.test(name) || name.includes('--')) {
    throw new YbError(
      'YB_ERR_INVALID_NAME',
      `"${name.slice(0, 64)}" is not a valid service name: use 3 to 30 lowercase letters, digits and single dashes, starting with a letter`,
    );
  }
  return name;
}

/** `--as analytics` → `ANALYTICS`; dashes become underscores. Throws on anything else. */
export function normaliseAlias(alias: string): string {
  const a = alias.trim().toUpperCase().replace(/-/g, '_').replace(/_URL$/, '');
  if (!ALIAS.test(a))
    throw new YbError('YB_ERR_INVALID_NAME', `"${alias.slice(0, 64)}" is not a valid alias: use letters, digits and "_", starting with a letter`);
  return a;
}

/** The URL apps get for a connection; user and password are percent-encoded. */
export function connectionUrl(c: Connection): string {
  const auth = c.user || c.password ? `${encodeURIComponent(c.user)}${c.password ? `:${encodeURIComponent(c.password)}` : ''}@` : '';
  const path = c.database ? `/${encodeURIComponent(c.database)}` : '';
  return `${c.scheme}://${auth}${c.host}:${c.port}${path}`;
}

/** The config vars a link sets: `<ALIAS>_URL` plus `_HOST`, `_PORT`, `_USER`, `_PASSWORD`, `_NAME`. */
export function linkVars(c: Connection, alias: string): Record<string, string> {
  return {
    [`${alias}_URL`]: c.url ?? connectionUrl(c),
    [`${alias}_HOST`]: c.host,
    [`${alias}_PORT`]: String(c.port),
    [`${alias}_USER`]: c.user,
    [`${alias}_PASSWORD`]: c.password,
    [`${alias}_NAME`]: c.database,
  };
}

/** Variable prefix of an app dependency: `billing-api` → `BILLING_API`. */
export function depAlias(app: string): string {
  return app.toUpperCase().replace(/-/g, '_');
}

/** The config vars an app dependency sets: the other app's web processes on the team network, by DNS alias. */
export function depVars(other: string, port: number): Record<string, string> {
  const p = depAlias(other);
  return { [`${p}_URL`]: `http://${other}:${port}`, [`${p}_HOST`]: other, [`${p}_PORT`]: String(port) };
}

const DEFAULT_PORTS: Record<ServiceKind, number> = { postgres: 5432, redis: 6379, mysql: 3306 };

/**
 * Parses the URL of an external resource (`yb services:attach-url`). Known schemes give a kind (and default port);
 * any other absolute URL binds as kind null with its parts as given.
 */
export function parseAttachedUrl(raw: string): { kind: ServiceKind | null; connection: Connection } {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new YbError('YB_ERR_BAD_REQUEST', 'the URL is not valid (expected e.g. postgres://user:password@host:5432/db)');
  }
  if (!u.hostname) throw new YbError('YB_ERR_BAD_REQUEST', 'the URL has no host');
  const scheme = u.protocol.replace(/:$/, '');
  const kind = kindOfScheme(scheme);
  const port = u.port ? Number(u.port) : kind ? DEFAULT_PORTS[kind] : scheme === 'https' ? 443 : scheme === 'http' ? 80 : 0;
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  return {
    kind,
    connection: {
      scheme,
      host: u.hostname,
      port,
      user: decodeURIComponent(u.username),
      password: decodeURIComponent(u.password),
      database,
      url: raw,
    },
  };
}
