// What each kind of backing service is: image, port, URL scheme, default variable prefix, and the commands
// (argument arrays, run inside the service container) that health-check, back up and restore it. Pure.

export const SERVICE_KINDS = ['postgres', 'redis', 'mysql'] as const;
export type ServiceKind = (typeof SERVICE_KINDS)[number];

/** Connection details of a service, as apps receive them. */
export interface Connection {
  scheme: string;
  host: string;
  port: number;
  user: string;
  password: string;
  /** Database name (Redis: the database index). */
  database: string;
  /** The URL exactly as attached (external resources); otherwise built from the parts. */
  url?: string;
}

export interface ExecStep {
  cmd: string[];
  env: Record<string, string>;
}

export interface KindSpec {
  kind: ServiceKind;
  /** Image repository (tagged with the recipe hash and `latest`), recipe in images/services/<kind>/. */
  image: string;
  port: number;
  scheme: string;
  /** Prefix of the variables a link sets when no alias is given: DATABASE_URL, REDIS_URL, MYSQL_URL. */
  defaultAlias: string;
  /** Backup file extension. */
  ext: string;
  /** Succeeds (exit 0, and `expect` in the output when given) once the service accepts authenticated clients. */
  health(c: Connection): ExecStep & { expect?: string };
  /** Writes a backup of the service's data to `file` (a path inside the container, under /backups). */
  backup(c: Connection, file: string): ExecStep;
  /** Restores `file` while the service runs; null when restoring needs a restart instead (Redis). */
  restore(c: Connection, file: string): ExecStep | null;
}

const local = '127.0.0.1';

export const KINDS: Record<ServiceKind, KindSpec> = {
  postgres: {
    kind: 'postgres',
    image: 'yunbang/svc-postgres',
    port: 5432,
    scheme: 'postgres',
    defaultAlias: 'DATABASE',
    ext: 'dump',
    health: (c) => ({ cmd: ['psql', '-h', local, '-U', c.user, '-d', c.database, '-tAc', 'SELECT 1'], env: { PGPASSWORD: c.password }, expect: '1' }),
    backup: (c, file) => ({
      cmd: ['pg_dump', '-h', local, '-U', c.user, '-d', c.database, '--format=custom', '--no-owner', '-f', file],
      env: { PGPASSWORD: c.password },
    }),
    restore: (c, file) => ({
      cmd: ['pg_restore', '-h', local, '-U', c.user, '-d', c.database, '--clean', '--if-exists', '--no-owner', '--single-transaction', file],
      env: { PGPASSWORD: c.password },
    }),
  },
  redis: {
    kind: 'redis',
    image: 'yunbang/svc-redis',
    port: 6379,
    scheme: 'redis',
    defaultAlias: 'REDIS',
    ext: 'rdb',
    health: (c) => ({ cmd: ['redis-cli', '-h', local, 'PING'], env: { REDISCLI_AUTH: c.password }, expect: 'PONG' }),
    backup: (c, file) => ({ cmd: ['redis-cli', '-h', local, '--rdb', file], env: { REDISCLI_AUTH: c.password } }),
    restore: () => null,
  },
  mysql: {
    kind: 'mysql',
    image: 'yunbang/svc-mysql',
    port: 3306,
    scheme: 'mysql',
    defaultAlias: 'MYSQL',
    ext: 'sql',
    health: (c) => ({ cmd: ['mariadb', '-h', local, '-u', c.user, '-N', '-e', 'SELECT 1', c.database], env: { MYSQL_PWD: c.password }, expect: '1' }),
    backup: (c, file) => ({
      cmd: ['mariadb-dump', '-h', local, '-u', c.user, '--single-transaction', '--routines', '--triggers', `--result-file=${file}`, c.database],
      env: { MYSQL_PWD: c.password },
    }),
    // The client reads the dump from stdin; the shell only redirects, its arguments are never parsed as code.
    restore: (c, file) => ({
      cmd: ['sh', '-c', 'exec mariadb -h 127.0.0.1 -u "$1" "$2" < "$3"', 'sh', c.user, c.database, file],
      env: { MYSQL_PWD: c.password },
    }),
  },
};

export function isServiceKind(k: string): k is ServiceKind {
  return (SERVICE_KINDS as readonly string[]).includes(k);
}

/** The kind an external URL's scheme names (postgres://, postgresql://, redis://, rediss://, mysql://); null otherwise. */
export function kindOfScheme(scheme: string): ServiceKind | null {
  const s = scheme.replace(/:$/, '').toLowerCase();
  if (s === 'postgres' || s === 'postgresql') return 'postgres';
  if (s === 'redis' || s === 'rediss') return 'redis';
  if (s === 'mysql' || s === 'mysql2' || s === 'mariadb') return 'mysql';
  return null;
}
