// A small HTTP server on 127.0.0.1 for the buildpack-URL tests: static files (tarballs) from one directory and
// git repositories through the real `git http-backend` (smart HTTP, as a CGI). Counts requests per path.
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import type { AddressInfo } from 'node:net';
import { serveGitHttp } from '../platform/git-remote.js';

export interface BuildpackServer {
  url: string;
  /** Requests seen per path (query string excluded). */
  hits: Map<string, number>;
  close(): Promise<void>;
}

/**
 * Serves `${filesDir}/<name>` at /<name> (with `?chunked=1` without a Content-Length), the bare repositories under
 * `gitRoot` at /git/<repo>.git/…, /redirect/<name>?to=URL (a 302), and /slow/<anything>: headers, then nothing until the
 * client gives up.
 */
export async function startBuildpackServer(filesDir: string, gitRoot: string): Promise<BuildpackServer> {
  const hits = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    hits.set(url.pathname, (hits.get(url.pathname) ?? 0) + 1);
    if (url.pathname.startsWith('/git/')) {
      serveGitHttp(req, res, gitRoot, url);
      return;
    }
    if (url.pathname.startsWith('/redirect/')) {
      res.writeHead(302, { location: url.searchParams.get('to') ?? '/' }).end();
      return;
    }
    if (url.pathname.startsWith('/slow/')) {
      res.writeHead(200, { 'content-type': 'application/gzip' }).write('\x1f');
      return;
    }
    const file = normalize(url.pathname).replace(/^\/+/, '');
    const chunked = url.searchParams.has('chunked');
    readFile(join(filesDir, file)).then(
      (body) => res.writeHead(200, { 'content-type': 'application/gzip', ...(chunked ? {} : { 'content-length': body.length }) }).end(body),
      () => res.writeHead(404, { 'content-type': 'text/plain' }).end('not found'),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}
