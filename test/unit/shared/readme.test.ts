import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { withConfigTable } from '../../../src/config/table.js';

test('the README configuration table is the one generated from the settings schema', () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  assert.equal(readme, withConfigTable(readme), 'run: node --import tsx scripts/gen-docs.ts');
});
