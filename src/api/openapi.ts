// Builds the OpenAPI 3.1 document from the schemas the routes register with (collected via onRoute).
import type { FastifyInstance, RouteOptions } from 'fastify';
import { errorSchema } from './schemas.js';

interface Collected {
  method: string;
  url: string;
  schema: Record<string, unknown>;
}

export function collectRoutes(api: FastifyInstance): Collected[] {
  const routes: Collected[] = [];
  api.addHook('onRoute', (r: RouteOptions) => {
    const schema = (r.schema ?? {}) as Record<string, unknown>;
    if (schema.hide || r.url.startsWith('/git/') || r.url.startsWith('/internal/')) return;
    for (const m of [r.method].flat()) if (m !== 'HEAD') routes.push({ method: m.toLowerCase(), url: r.url, schema });
  });
  return routes;
}

export function openApiDocument(routes: Collected[], serverUrl: string): object {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.url.replace(/:([A-Za-z]+)/g, '{$1}');
    const params = (r.schema.params as { properties?: Record<string, object> } | undefined)?.properties ?? {};
    const op: Record<string, unknown> = {
      summary: r.schema.summary ?? '',
      ...(r.schema.description ? { description: r.schema.description } : {}),
      parameters: [...Object.entries(params).map(([name, schema]) => ({ name, in: 'path', required: true, schema })), ...queryParameters(r.schema.querystring)],
      responses: {
        ...Object.fromEntries(
          Object.entries((r.schema.response as Record<string, object>) ?? { 200: {} }).map(([code, schema]) => [
            code,
            responseObject(code, schema, r.schema.produces as string[] | undefined),
          ]),
        ),
        default: { description: 'error', content: { 'application/json': { schema: errorSchema } } },
      },
    };
    if (r.schema.body) op.requestBody = { required: true, content: { 'application/json': { schema: r.schema.body } } };
    if (!['/healthz', '/openapi.json'].includes(r.url)) op.security = [{ bearer: [] }];
    (paths[path] ??= {})[r.method] = op;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Yunbang API', version: '0.1.0', description: 'Heroku-style platform API of Yunbang. Errors are {id, message}.' },
    servers: [{ url: serverUrl }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    paths,
  };
}

/** A documented response: success bodies in the route's content types; documented errors ({id, message}) as JSON with their schema's description. */
function responseObject(code: string, schema: object, produces: string[] | undefined): object {
  if (Number(code) >= 400) {
    const { description, ...rest } = schema as { description?: string };
    return { description: description ?? 'error', content: { 'application/json': { schema: rest } } };
  }
  return { description: 'success', content: Object.fromEntries((produces ?? ['application/json']).map((t) => [t, { schema }])) };
}

/** Query-string properties as OpenAPI parameters (their description lifted out of the schema). */
function queryParameters(qs: unknown): object[] {
  const q = qs as { properties?: Record<string, { description?: string }>; required?: string[] } | undefined;
  return Object.entries(q?.properties ?? {}).map(([name, { description, ...schema }]) => ({
    name,
    in: 'query',
    required: q?.required?.includes(name) ?? false,
    ...(description ? { description } : {}),
    schema,
  }));
}

declare module 'fastify' {
  interface FastifySchema {
    summary?: string;
    /** Longer text for the API document (streaming behaviour, formats). */
    description?: string;
    /** Response content types when not JSON (e.g. text/plain streams). */
    produces?: string[];
    hide?: boolean;
  }
}
