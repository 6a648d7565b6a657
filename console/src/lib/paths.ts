// The console's pages by URL, all under /console/ so they can never shadow an API path (ybd answers every
// /console/... with index.html; docs/architecture.md §8). Pure: no React, no DOM (unit-tested from the root).

export type Route =
  | { page: 'apps' }
  | { page: 'new' }
  | { page: 'teams' }
  | { page: 'tokens' }
  | { page: 'services' }
  | { page: 'storage' }
  | { page: 'audit' }
  | { page: 'users' }
  | { page: 'app'; app: string; tab: AppTab }
  | { page: 'missing'; path: string };
export const APP_TABS = ['overview', 'releases', 'config', 'logs', 'operations', 'metrics', 'domains', 'deps', 'terminal'] as const;
export type AppTab = (typeof APP_TABS)[number];

/** The page a path names. Pure. */
export function parseRoute(path: string): Route {
  const p = path.replace(/\/+$/, '') || '/';
  if (p === '/' || p === '/console' || p === '/console/apps') return { page: 'apps' };
  if (p === '/console/new') return { page: 'new' };
  if (p === '/console/teams') return { page: 'teams' };
  if (p === '/console/tokens') return { page: 'tokens' };
  if (p === '/console/services') return { page: 'services' };
  if (p === '/console/storage') return { page: 'storage' };
  if (p === '/console/audit') return { page: 'audit' };
  if (p === '/console/users') return { page: 'users' };
  const m = /^\/console\/apps\/([a-z][a-z0-9-]{0,63})(?:\/([a-z]+))?$/.exec(p);
  if (m) {
    const tab = (m[2] ?? 'overview') as AppTab;
    if (APP_TABS.includes(tab)) return { page: 'app', app: m[1]!, tab };
  }
  return { page: 'missing', path: p };
}

export function appPath(app: string, tab: AppTab = 'overview'): string {
  return `/console/apps/${app}${tab === 'overview' ? '' : `/${tab}`}`;
}
