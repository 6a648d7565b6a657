// Generated credentials of a provisioned service: a random user and password, the database named after the
// service. Passwords use the base64url alphabet so they need no escaping in URLs, SQL or config files.
import { randomBytes } from 'node:crypto';
import { KINDS, type Connection, type ServiceKind } from './kinds.js';

export function generateConnection(kind: ServiceKind, name: string): Connection {
  const spec = KINDS[kind];
  const password = randomBytes(24).toString('base64url');
  if (kind === 'redis') return { scheme: spec.scheme, host: name, port: spec.port, user: 'default', password, database: '0' };
  return {
    scheme: spec.scheme,
    host: name,
    port: spec.port,
    user: `u${randomBytes(6).toString('hex')}`,
    password,
    database: name.replace(/-/g, '_'),
  };
}
