// What the plain-HTTP listener does before proxying: requests for an app marked https-only are redirected to
// the same URL over HTTPS (301 for GET/HEAD, 308 otherwise, so bodies are re-sent).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RouteTable } from './route-table.js';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** The HTTPS URL for `req`; `httpsPort` 443 is left out of it. */
export function httpsLocation(req: IncomingMessage, httpsPort: number): string {
  const raw = req.headers.host ?? '';
  const host = raw.startsWith('[') ? raw.slice(0, raw.indexOf(']') + 1) : raw.split(':')[0]!;
  return `https://${host}${httpsPort === 443 ? '' : `:${httpsPort}`}${req.url ?? '/'}`;
}

/** Wraps the proxy of the HTTP listener; `httpsPort()` is the public HTTPS port (known once it listens). */
export function httpsRedirectFront(getTable: () => RouteTable, httpsPort: () => number, proxy: RequestHandler): RequestHandler {
  return function front(req, res) {
    const target = getTable().lookup(req.headers.host);
    if (target?.httpsOnly !== true) return proxy(req, res);
    const status = req.method === 'GET' || req.method === 'HEAD' ? 301 : 308;
    res.writeHead(status, { location: httpsLocation(req, httpsPort()), 'content-length': 0, 'cache-control': 'no-store' });
    res.end();
    req.resume();
  };
}
