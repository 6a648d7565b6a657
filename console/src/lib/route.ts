// Following the URL in the browser: the history hook and in-app navigation (the parsing is in paths.ts).
import { useEffect, useState } from 'react';
import { parseRoute, type Route } from './paths';

export { APP_TABS, appPath, parseRoute, type AppTab, type Route } from './paths';

export function navigate(to: string): void {
  if (to === location.pathname) return;
  history.pushState(null, '', to);
  dispatchEvent(new PopStateEvent('popstate'));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.pathname));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.pathname));
    addEventListener('popstate', on);
    return () => removeEventListener('popstate', on);
  }, []);
  return route;
}
