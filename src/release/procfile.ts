// Procfile parsing (Heroku format: `type: command` a line). Pure; problems carry their line number.

export interface ProcfileResult {
  processes: Record<string, string>;
  errors: string[];
}

const LINE = /^([A-Za-z0-9_-]+):\s*(.+)$/;

export function parseProcfile(text: string): ProcfileResult {
  const processes: Record<string, string> = {};
  const errors: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = LINE.exec(line);
    if (!m) {
      errors.push(`Procfile line ${i + 1}: expected "type: command", got "${line.slice(0, 80)}"`);
      return;
    }
    const type = m[1]!.toLowerCase();
    if (!/^[a-z]/.test(type)) {
      errors.push(`Procfile line ${i + 1}: process type "${m[1]}" must start with a letter`);
      return;
    }
    if (type in processes) errors.push(`Procfile line ${i + 1}: process type "${type}" is defined twice`);
    processes[type] = m[2]!.trim();
  });
  return { processes, errors };
}

/** Parses the `default_process_types` map of a buildpack's bin/release YAML output (the simple subset it uses). */
export function parseReleaseYaml(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let inDefaults = false;
  for (const raw of text.split(/\r?\n/)) {
    if (/^\S/.test(raw)) {
      inDefaults = /^default_process_types:\s*$/.test(raw);
      continue;
    }
    if (!inDefaults) continue;
    const m = /^\s+([A-Za-z0-9_-]+):\s*(.*)$/.exec(raw);
    if (m?.[2]) out[m[1]!] = unquote(m[2].trim());
  }
  return out;
}

function unquote(s: string): string {
  if ((s.startsWith('"') && s.endsWith('"')) || (s.startsWith("'") && s.endsWith("'"))) return s.slice(1, -1);
  return s;
}
