// Serves the built web console (console/dist, docs/architecture.md §8) from the API address: `/` and every
// `/console/...` page get index.html (deep links survive a reload), `/assets/...` the hashed files with immutable
// caching. API paths are never shadowed: anything else still reaches the API or its JSON 404.
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { YbError } from '../shared/errors.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.map': 'application/json',
};

/** Paths the console owns; the API's onRequest authentication lets them through (the page itself signs in). */
export const CONSOLE_PATHS = [/^\/$/, /^\/console(\/|$)/, /^\/assets\//, /^\/favicon\.svg$/];

/** The page's policy: only our own scripts, styles and API; never framed (no clickjacking of the buttons). */
export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

/** The built console next to this program: `<package>/console/dist`, from src/api or dist/src/api. */
export function defaultConsoleDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const root = here.endsWith(join('dist', 'src', 'api')) ? resolve(here, '..', '..', '..') : resolve(here, '..', '..');
  return join(root, 'console', 'dist');
}

/** The file under `dir/assets` a request names, or null when it would leave that folder or is not a plain name. Pure. */
export function assetPath(dir: string, name: string): string | null {
  if (!/^[A-Za-z0-9._-]{1,200}$/.test(name) || name.startsWith('.')) return null;
  const base = resolve(dir, 'assets');
  const full = resolve(base, name);
  return full.startsWith(base + sep) ? full : null;
}

export function registerConsole(api: FastifyInstance, dir: string = defaultConsoleDir()): void {
  const security = (reply: FastifyReply) =>
    reply
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('x-frame-options', 'DENY')
      .header('content-security-policy', CONSOLE_CSP);

  const index = async (_req: unknown, reply: FastifyReply) => {
    const file = join(dir, 'index.html');
    if (!existsSync(file))
      throw new YbError('YB_ERR_NOT_FOUND', 'the web console is not built on this machine', {
        hint: 'run "bash scripts/prereqs.sh" (npm start and npm test do it) to build console/',
      });
    // Never cached: it names the current hashed assets.
    return security(reply)
      .type(TYPES['.html']!)
      .header('cache-control', 'no-cache')
      .send(await readFile(file));
  };
  const hidden = { schema: { hide: true } };
  api.get('/', hidden, index);
  api.get('/console', hidden, index);
  api.get('/console/*', hidden, index);
  api.get('/assets/*', hidden, async (req, reply) => {
    const name = (req.params as { '*': string })['*'];
    const file = assetPath(dir, name);
    if (!file || !existsSync(file)) throw new YbError('YB_ERR_NOT_FOUND', `the console has no file "assets/${name.slice(0, 100)}"`);
    // Vite puts a content hash in every asset name, so a name never changes meaning: cache it for a year.
    return security(reply)
      .type(TYPES[extname(file)] ?? 'application/octet-stream')
      .header('cache-control', 'public, max-age=31536000, immutable')
      .send(await readFile(file));
  });
  api.get('/favicon.svg', hidden, async (_req, reply) => {
    const file = join(dir, 'favicon.svg');
    if (!existsSync(file)) throw new YbError('YB_ERR_NOT_FOUND', 'the console has no favicon');
    return security(reply)
      .type(TYPES['.svg']!)
      .header('cache-control', 'public, max-age=86400')
      .send(await readFile(file));
  });
}
