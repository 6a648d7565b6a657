// The per-app settings kept on every route record of an app (https-only, maintenance; docs/architecture.md §3), so
// a router applies them without another lookup: reading an app's routes and rewriting a setting across them.
import type { Store } from '../store/store.js';
import type { RouteRecord } from '../store/keys.js';

export interface AppRoute {
  host: string;
  key: string;
  value: RouteRecord;
  modRevision: number;
}

/** The route records of `app`, with their hosts. */
export async function routesOfApp(store: Store, app: string): Promise<AppRoute[]> {
  const prefix = store.keys.routesPrefix();
  return (await store.list<RouteRecord>(prefix)).filter((e) => e.value.app === app).map((e) => ({ ...e, host: e.key.slice(prefix.length) }));
}

/**
 * Rewrites every route of `app` with `change`; resolves to the hosts rewritten. Compare-and-swap per route: one
 * re-assigned meanwhile (domains:remove/add) is left alone.
 */
export async function rewriteAppRoutes(store: Store, app: string, change: (r: RouteRecord) => RouteRecord): Promise<string[]> {
  const hosts: string[] = [];
  for (const r of await routesOfApp(store, app)) if (await store.replace(r.key, change(r.value), r.modRevision)) hosts.push(r.host);
  return hosts;
}
