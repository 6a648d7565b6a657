// Regenerates the generated parts of the docs: the README configuration table.
// Run: node --import tsx scripts/gen-docs.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { withConfigTable } from '../src/config/table.js';

const path = new URL('../README.md', import.meta.url);
writeFileSync(path, withConfigTable(readFileSync(path, 'utf8')));
