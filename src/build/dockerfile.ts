// Reading what a Dockerfile needs before it is built: declared build args and the base images of its stages
// (so a missing base fails at once with one clear sentence instead of a registry pull). Pure.

export interface DockerfileInfo {
  /** Names declared with ARG (anywhere). */
  args: string[];
  /** External images: stage bases, `COPY --from` and `--mount` from= (stage names, indexes and `scratch` excluded), with ARG defaults and build args substituted. */
  bases: string[];
}

/** One instruction as the engine's parser sees it: physical lines joined, comments and blank continuation lines dropped. */
export interface Instruction {
  /** 1-based physical lines it spans. */
  line: number;
  endLine: number;
  /** The joined text, as the engine parses it. */
  text: string;
}

const DIRECTIVE = /^#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=[ \t]*(.*?)[ \t]*$/;

/** The parser directives at the top of a Dockerfile (`# escape=`, `# syntax=`), keys lower-cased, with their lines. */
export function parserDirectives(text: string): { key: string; value: string; line: number }[] {
  const out: { key: string; value: string; line: number }[] = [];
  for (const [i, raw] of text
    .replace(/^\uFEFF/, '')
    .split('\n')
    .entries()) {
    const m = DIRECTIVE.exec(raw.replace(/\r$/, '').trimStart());
    if (!m) break;
    out.push({ key: m[1]!.toLowerCase(), value: m[2]!, line: i + 1 });
  }
  return out;
}

/**
 * The instructions of a Dockerfile, joined the way BuildKit's parser joins them: a line ending in the escape
 * character (`\`, or `` ` `` after `# escape=` on the first line) plus spaces or tabs continues on the next line with
 * nothing put between (so `AD\` + `D` is `ADD`); comment lines and blank lines inside a continuation are skipped. Pure.
 */
export function dockerfileInstructions(text: string): Instruction[] {
  const first = parserDirectives(text)[0];
  const escape = first?.key === 'escape' && first.line === 1 && first.value.startsWith('`') ? '`' : '\\';
  const continuation = new RegExp(`\\${escape}[ \\t]*$`);
  const lines = text
    .replace(/^\uFEFF/, '')
    .split('\n')
    .map((l) => l.replace(/\r$/, ''));
  const isComment = (l: string) => /^\s*#/.test(l);
  const out: Instruction[] = [];
  for (let i = 0; i < lines.length; i++) {
    const start = lines[i]!.trimStart();
    let joined = isComment(start) ? '' : start;
    let more = continuation.test(joined);
    joined = joined.replace(continuation, '');
    if (!more && joined.trim() === '') continue;
    const line = i + 1;
    while (more && i + 1 < lines.length) {
      const next = lines[++i]!;
      if (isComment(next) || next.trim() === '') continue;
      more = continuation.test(next);
      joined += next.replace(continuation, '');
    }
    if (joined.trim()) out.push({ line, endLine: i + 1, text: joined.trim() });
  }
  return out;
}

/** An instruction's keyword (lower-cased) and the rest, split as the engine splits them. */
export function splitInstruction(text: string): { keyword: string; rest: string; restAt: number } {
  const m = /^(\S+)[\t\v\f\r ]*/.exec(text);
  return { keyword: (m?.[1] ?? '').toLowerCase(), rest: text.slice(m?.[0].length ?? 0), restAt: m?.[0].length ?? 0 };
}

/** A `--flag=value` word before an instruction's arguments, with where its text is in the string it was read from. */
export interface FlagWord {
  word: string;
  start: number;
  end: number;
}

/**
 * The leading `--flag` words of an instruction's arguments, read as BuildKit's extractBuilderFlags reads them
 * (quotes and backslashes inside a word), and where the arguments start. Pure.
 */
export function leadingFlags(rest: string): { flags: FlagWord[]; argsAt: number } {
  const flags: FlagWord[] = [];
  let pos = 0;
  for (;;) {
    while (pos < rest.length && /\s/.test(rest[pos]!)) pos++;
    if (!rest.startsWith('--', pos)) return { flags, argsAt: pos };
    const start = pos;
    let word = '';
    let quote = '';
    for (; pos < rest.length; pos++) {
      const ch = rest[pos]!;
      if (!quote && /\s/.test(ch)) break;
      if (!quote && (ch === '"' || ch === "'")) quote = ch;
      else if (quote && ch === quote) quote = '';
      else if (ch === '\\') {
        if (pos + 1 < rest.length) word += rest[++pos];
      } else word += ch;
    }
    if (word === '--') return { flags, argsAt: pos };
    flags.push({ word, start, end: pos });
  }
}

function substitute(s: string, vars: Record<string, string>): string {
  return s.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (_m, a: string | undefined, dflt: string | undefined, b: string | undefined) => {
      const name = (a ?? b)!;
      return vars[name] ?? dflt ?? '';
    },
  );
}

export function inspectDockerfile(text: string, buildArgs: Record<string, string> = {}): DockerfileInfo {
  const args: string[] = [];
  const globalArgs: Record<string, string> = {};
  const stages = new Set<string>();
  const bases: string[] = [];
  let seenFrom = false;
  for (const { text: line } of dockerfileInstructions(text)) {
    const { keyword, rest } = splitInstruction(line);
    const instr = keyword.toUpperCase();
    if (instr === 'ARG') {
      for (const decl of rest.split(/\s+/)) {
        const [name, ...v] = decl.split('=');
        if (!name || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) continue;
        // BUILDKIT_* build args steer the engine itself (BUILDKIT_SYNTAX loads a frontend image): never passed from config.
        if (!args.includes(name) && !name.startsWith('BUILDKIT_')) args.push(name);
        if (!seenFrom) globalArgs[name] = buildArgs[name] ?? (v.length ? v.join('=').replace(/^"(.*)"$/, '$1') : '');
      }
    } else if (instr === 'FROM') {
      seenFrom = true;
      const words = rest.split(/\s+/).filter((w) => !w.startsWith('--'));
      const image = substitute(words[0] ?? '', globalArgs);
      if (words[1]?.toUpperCase() === 'AS' && words[2]) stages.add(words[2].toLowerCase());
      if (image && image !== 'scratch' && !stages.has(image.toLowerCase()) && !bases.includes(image)) bases.push(image);
    } else {
      // COPY --from=IMAGE and RUN --mount=…,from=IMAGE name images too: the engine would pull one it does not have.
      for (const f of leadingFlags(rest).flags) {
        const from = /^--from=(.*)$/.exec(f.word)?.[1] ?? (/^--mount=/.test(f.word) ? /(?:^|,)from=([^,]*)/i.exec(f.word.slice(8))?.[1] : undefined);
        const image = from === undefined ? '' : substitute(from.replace(/^"(.*)"$/, '$1'), globalArgs);
        if (image && !/^\d+$/.test(image) && image !== 'scratch' && !stages.has(image.toLowerCase()) && !bases.includes(image)) bases.push(image);
      }
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
