// Writes docs/api.md from the API's OpenAPI document. The API server is built with a stub context and asked for
// /openapi.json through inject(): no platform, etcd or Docker is needed (route registration touches none of them).
// `--check` exits 1 when docs/api.md is out of date.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildApiServer } from '../src/api/server.js';
import type { ApiContext } from '../src/api/context.js';
import { createLogger } from '../src/shared/logger.js';

export const API_DOC = resolve(import.meta.dirname, '..', 'docs', 'api.md');

export async function openApiDocumentOffline(): Promise<Record<string, unknown>> {
  const ctx = {
    apiUrl: 'http://127.0.0.1:5050',
    log: createLogger('gen-api-docs', 'silent'),
    dataDir: '/nonexistent',
    domain: 'localhost',
    routerPort: 8080,
    hookSecret: 'x',
  } as unknown as ApiContext;
  const api = await buildApiServer(ctx);
  try {
    const res = await api.inject({ method: 'GET', url: '/openapi.json' });
    if (res.statusCode !== 200) throw new Error(`/openapi.json answered ${res.statusCode}: ${res.body}`);
    return res.json() as Record<string, unknown>;
  } finally {
    await api.close();
  }
}

type Json = Record<string, unknown>;

const cell = (s: unknown) =>
  String(s ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\n/g, ' ');

/** A compact one-line type of a JSON schema: `string`, `integer[]`, `{name, team, …}`. */
function typeOf(schema: unknown): string {
  const s = (schema ?? {}) as Json;
  if (Array.isArray(s.type)) return (s.type as string[]).join(' or ');
  if (s.enum) return (s.enum as unknown[]).map((v) => `\`${String(v)}\``).join(', ');
  if (s.type === 'array') return `${typeOf(s.items)}[]`;
  if (s.type === 'object' && s.properties) return `object`;
  return String(s.type ?? 'any');
}

function fields(schema: unknown, indent = ''): string[] {
  const s = (schema ?? {}) as Json;
  const target = s.type === 'array' ? ((s.items ?? {}) as Json) : s;
  const props = (target.properties ?? {}) as Record<string, Json>;
  const required = new Set((target.required as string[] | undefined) ?? []);
  return Object.entries(props).map(
    ([k, v]) => `${indent}| \`${k}\`${required.has(k) ? ' (required)' : ''} | ${cell(typeOf(v))} | ${cell(v.description ?? '')} |`,
  );
}

function example(schema: unknown): unknown {
  const s = (schema ?? {}) as Json;
  if (Array.isArray(s.examples) && s.examples.length) return s.examples[0];
  if (s.type === 'array') {
    const inner = example(s.items);
    return inner === undefined ? undefined : [inner];
  }
  return undefined;
}

/** docs/api.md from an OpenAPI 3.1 document. Pure. */
export function renderApiMarkdown(doc: Json): string {
  const info = (doc.info ?? {}) as Json;
  const out: string[] = [
    '# Yunbang REST API',
    '',
    '<!-- generated from /openapi.json by scripts/gen-api-docs.ts; do not edit by hand -->',
    '',
    `${String(info.description ?? '')}`,
    '',
    'Base URL: `http://127.0.0.1:5050` (`YB_API_ADDR`). Send `Authorization: Bearer <token>` (the admin token is in',
    '`$YB_DATA_DIR/admin-token`; `yb tokens:create` makes more). Errors are `{ "id": "app_not_found", "message": "…" }`',
    'with a fitting HTTP status; the ids and statuses are those of `src/shared/errors.ts`. The machine-readable',
    'document is served at `GET /openapi.json`.',
    '',
    '## Endpoints',
    '',
    '| method | path | summary |',
    '|---|---|---|',
  ];
  const paths = Object.entries((doc.paths ?? {}) as Record<string, Record<string, Json>>).sort(([a], [b]) => a.localeCompare(b));
  const ops: Array<[string, string, Json]> = [];
  for (const [path, methods] of paths) for (const [m, op] of Object.entries(methods)) ops.push([m.toUpperCase(), path, op]);
  for (const [m, path, op] of ops) out.push(`| ${m} | [\`${path}\`](#${anchor(m, path)}) | ${cell(op.summary)} |`);
  for (const [m, path, op] of ops) {
    out.push('', `### ${m} ${path}`, '', `${String(op.summary ?? '')}${op.security ? '' : ' (no token needed)'}`);
    if (op.description) out.push('', String(op.description));
    const params = (op.parameters ?? []) as Json[];
    if (params.length) {
      out.push('', '| parameter | in | type | meaning |', '|---|---|---|---|');
      for (const p of params)
        out.push(
          `| \`${String(p.name)}\`${p.required ? ' (required)' : ''} | ${String(p.in)} | ${cell(typeOf(p.schema))} | ${cell(p.description ?? (p.schema as Json)?.description ?? '')} |`,
        );
    }
    const body = (((op.requestBody as Json)?.content as Json)?.['application/json'] as Json)?.schema;
    if (body) {
      out.push('', 'Request body (JSON):', '', '| field | type | meaning |', '|---|---|---|', ...fields(body));
      const ex =
        example(body) ??
        Object.fromEntries(
          Object.entries(((body as Json).properties ?? {}) as Record<string, Json>)
            .filter(([, v]) => Array.isArray(v.examples))
            .map(([k, v]) => [k, (v.examples as unknown[])[0]]),
        );
      if (ex && Object.keys(ex as object).length) out.push('', '```json', JSON.stringify(ex, null, 2), '```');
    }
    for (const [code, res] of Object.entries((op.responses ?? {}) as Record<string, Json>)) {
      if (code === 'default') continue;
      const content = (res.content ?? {}) as Record<string, Json>;
      const [type, media] = Object.entries(content)[0] ?? ['application/json', {}];
      const f = fields(media.schema);
      const said = res.description && res.description !== 'success' ? `: ${String(res.description)}` : '';
      out.push('', `Response ${code} (${type})${said}${f.length && !said ? ':' : ''}`);
      if (said) continue; // a documented error: its fields are those of every error
      if (f.length) out.push('', '| field | type | meaning |', '|---|---|---|', ...f);
      const ex = example(media.schema);
      if (ex !== undefined) out.push('', type.includes('json') ? '```json' : '```', typeof ex === 'string' ? ex.trimEnd() : JSON.stringify(ex, null, 2), '```');
    }
  }
  return `${out.join('\n')}\n`;
}

function anchor(method: string, path: string): string {
  return `${method} ${path}`
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replace(/ /g, '-');
}

export async function apiMarkdown(): Promise<string> {
  return renderApiMarkdown(await openApiDocumentOffline());
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const md = await apiMarkdown();
  if (process.argv.includes('--check')) {
    const cur = readFileSync(API_DOC, 'utf8');
    if (cur !== md) {
      process.stderr.write(`${join('docs', 'api.md')} is out of date: run node --import tsx scripts/gen-api-docs.ts\n`);
      process.exit(1);
    }
  } else {
    writeFileSync(API_DOC, md);
    process.stdout.write(`wrote ${API_DOC}\n`);
  }
}
