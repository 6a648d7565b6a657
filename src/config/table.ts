// Renders the README's configuration table from the settings schema (the README is checked against it).
import { SETTINGS } from './schema.js';

export function configTable(): string {
  const rows = Object.values(SETTINGS).map((s) => `| \`${s.env}\` | ${s.type} | ${s.default === '' ? '(empty)' : `\`${s.default}\``} | ${s.description} |`);
  return ['| variable | type | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

export const TABLE_BEGIN = '<!-- config-table:begin (generated from src/config/schema.ts by scripts/gen-docs.ts) -->';
export const TABLE_END = '<!-- config-table:end -->';

/** Replaces the generated block of `readme` with the current table. */
export function withConfigTable(readme: string): string {
  const a = readme.indexOf(TABLE_BEGIN);
  const b = readme.indexOf(TABLE_END);
  if (a < 0 || b < a) throw new Error('README has no config-table markers');
  return `${readme.slice(0, a + TABLE_BEGIN.length)}\n${configTable()}\n${readme.slice(b)}`;
}
