// The shapes the services component keeps in etcd: `services/<name>` (one backing service, its credentials
// and its links to apps) and `apps/<app>/deps/<other>` (an app-to-app dependency). Types and key helpers only.
import type { Keys } from '../store/keys.js';
import type { Connection, ServiceKind } from './kinds.js';

export interface LinkRecord {
  app: string;
  /** Variable prefix, e.g. DATABASE (→ DATABASE_URL). */
  alias: string;
  /** Exactly the config vars the link set; unlink removes these and nothing else. */
  keys: string[];
  createdAt: string;
  createdBy: string;
}

export interface ServiceRecord {
  name: string;
  team: string;
  /** null: an attached external resource of a kind the platform does not run. */
  kind: ServiceKind | null;
  /** Provisioned by the platform (container + volume) or attached by URL. */
  origin: 'provisioned' | 'attached';
  status: 'creating' | 'ready' | 'failed';
  /** Sealed at rest (src/auth/secrets.ts, context `service:<name>`); plain in memory. */
  connection: Connection;
  links: LinkRecord[];
  createdAt: string;
  createdBy: string;
}

export interface DepRecord {
  app: string;
  other: string;
  keys: string[];
  createdAt: string;
  createdBy: string;
}

/** `apps/<app>/deps/<other>`: under the app's own prefix, so destroying the app removes its dependencies too. */
export function depKey(k: Keys, app: string, other: string): string {
  return `${k.app(app)}/deps/${other}`;
}

export function depsPrefix(k: Keys, app: string): string {
  return `${k.app(app)}/deps/`;
}
