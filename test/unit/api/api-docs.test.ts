import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { API_DOC, apiMarkdown, openApiDocumentOffline } from '../../../scripts/gen-api-docs.js';

test('docs/api.md is the one generated from /openapi.json', async () => {
  assert.equal(readFileSync(API_DOC, 'utf8'), await apiMarkdown(), 'run: node --import tsx scripts/gen-api-docs.ts');
});

test('the streaming log endpoint documents its query parameters and text response', async () => {
  const doc = (await openApiDocumentOffline()) as {
    paths: Record<string, Record<string, { parameters: Array<{ name: string; in: string }>; responses: Record<string, { content: Record<string, unknown> }> }>>;
  };
  const op = doc.paths['/apps/{app}/logs']!.get!;
  assert.deepEqual(
    op.parameters.filter((p) => p.in === 'query').map((p) => p.name),
    ['lines', 'tail', 'ps', 'source', 'format'],
  );
  assert.ok('text/plain' in op.responses['200']!.content);
});
