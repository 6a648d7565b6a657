// Reading what a Dockerfile needs before it is built: declared build args and the base images of its stages
// (so a missing base fails at once with one clear sentence instead of a registry pull). Pure.

export interface DockerfileInfo {
  /** Names declared with ARG (anywhere). */
  args: string[];
  /** External base images (stage names and `scratch` excluded), with ARG defaults and build args substituted. */
  bases: string[];
}

function logicalLines(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trimEnd();
    if (cur === '' && /^\s*#/.test(line)) continue;
    if (line.endsWith('\\')) {
      cur += `${line.slice(0, -1)} `;
      continue;
    }
    out.push((cur + line).trim());
    cur = '';
  }
  if (cur.trim()) out.push(cur.trim());
  return out.filter(Boolean);
}

function substitute(s: string, vars: Record<string, string>): string {
  return s.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_m, a: string | undefined, dflt: string | undefined, b: string | undefined) => {
    const name = (a ?? b)!;
    return vars[name] ?? dflt ?? '';
  });
}

export function inspectDockerfile(text: string, buildArgs: Record<string, string> = {}): DockerfileInfo {
  const args: string[] = [];
  const globalArgs: Record<string, string> = {};
  const stages = new Set<string>();
  const bases: string[] = [];
  let seenFrom = false;
  for (const line of logicalLines(text)) {
    const m = /^([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const instr = m[1]!.toUpperCase();
    const rest = m[2]!;
    if (instr === 'ARG') {
      for (const decl of rest.split(/\s+/)) {
        const [name, ...v] = decl.split('=');
        if (!name || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) continue;
        if (!args.includes(name)) args.push(name);
        if (!seenFrom) globalArgs[name] = buildArgs[name] ?? (v.length ? v.join('=').replace(/^"(.*)"$/, '$1') : '');
      }
    } else if (instr === 'FROM') {
      seenFrom = true;
      const words = rest.split(/\s+/).filter((w) => !w.startsWith('--'));
      const image = substitute(words[0] ?? '', globalArgs);
      if (words[1]?.toUpperCase() === 'AS' && words[2]) stages.add(words[2].toLowerCase());
      if (image && image !== 'scratch' && !stages.has(image.toLowerCase()) && !bases.includes(image)) bases.push(image);
    }
  }
  return { args, bases: bases.filter((b) => !stages.has(b.toLowerCase())) };
}

/** `name` → `name:latest`; digests and explicit tags are kept. */
export function withDefaultTag(ref: string): string {
  if (ref.includes('@')) return ref;
  const lastSegment = ref.slice(ref.lastIndexOf('/') + 1);
  return lastSegment.includes(':') ? ref : `${ref}:latest`;
}
