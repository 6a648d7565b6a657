// The console's API types (console/src/api/schema.d.ts) are the ones generated from /openapi.json now: a route or
// schema change without `node --import tsx scripts/gen-console-types.ts` fails here (and the console's type check).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CONSOLE_TYPES, consoleTypes } from '../../../scripts/gen-console-types.js';

test('console/src/api/schema.d.ts matches the API document', async () => {
  assert.ok(readFileSync(CONSOLE_TYPES, 'utf8') === (await consoleTypes()), 'out of date: run node --import tsx scripts/gen-console-types.ts');
});
