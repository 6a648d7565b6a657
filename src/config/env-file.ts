// The installed platform's settings file (/etc/yunbang/yunbang.env, read by the systemd units as EnvironmentFile=):
// every YB_* setting of the schema with its description and default, commented out unless the install sets it.
// Pure; scripts/install.sh writes it (docs/operating.md).
import { SETTINGS, type Setting } from './schema.js';

/** One line of systemd's EnvironmentFile syntax; a value with spaces, quotes, `\` or `$` is double-quoted and escaped. */
export function envLine(name: string, value: string): string {
  if (/[\n\r]/.test(value)) throw new Error(`${name}: a setting in the environment file cannot span lines`);
  return /^[A-Za-z0-9_.,:/@+=%-]*$/.test(value) ? `${name}=${value}` : `${name}="${value.replace(/[\\"$`]/g, (c) => `\\${c}`)}"`;
}

function wrap(text: string, width = 110): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.map((l) => `# ${l}`);
}

/**
 * The file: a header, then one block per setting (description, type and default, the assignment). Settings in `set`
 * are assigned, the others stay commented out at their default; `extra` (name → [value, comment]) goes last, for
 * what the units need beside the platform's own settings (etcd's).
 */
export function envFile(set: Record<string, string>, extra: Array<{ name: string; value: string; comment: string }> = []): string {
  const known = new Set(Object.values(SETTINGS).map((s: Setting) => s.env));
  const unknown = Object.keys(set).filter((k) => !known.has(k));
  if (unknown.length) throw new Error(`not settings of the schema: ${unknown.join(', ')}`);
  const out = [
    '# Yunbang settings, read by the yunbang, yunbang-router and yunbang-etcd units (EnvironmentFile=).',
    '# Generated from src/config/schema.ts by scripts/install.sh; an upgrade never overwrites this file but writes',
    '# yunbang.env.new beside it. Change a value, then: systemctl restart yunbang-etcd yunbang-router yunbang',
    '# (restarting yunbang alone does not interrupt app traffic). Syntax: NAME=value, one a line, no shell.',
    '',
  ];
  for (const s of Object.values(SETTINGS) as Setting[]) {
    out.push(...wrap(s.description));
    out.push(`# ${s.type}${s.choices ? ` (${s.choices.join(' | ')})` : ''}, default: ${s.default === '' ? '(empty)' : s.default}`);
    out.push(s.env in set ? envLine(s.env, set[s.env] as string) : `#${envLine(s.env, s.default)}`, '');
  }
  for (const e of extra) out.push(...wrap(e.comment), envLine(e.name, e.value), '');
  return out.join('\n');
}
