// A ~/.netrc reader and editor that changes only the entry it is asked about: every other byte (comments,
// `macdef` macros, the `default` entry, other machines, whitespace, one-line or multi-line layouts) is kept
// as it was, since the file is shared with curl, git, ftp and other tools. Pure: text in, text out.

/** One token of the file with where it sits, so that edits can splice the original text. */
interface Token {
  text: string;
  start: number;
  end: number;
}

export interface NetrcEntry {
  /** The machine name; '' for the `default` entry. */
  machine: string;
  login?: string;
  password?: string;
  /** Where the entry's tokens start and end in the text (from `machine`/`default` to its last value). */
  start: number;
  end: number;
  /** Value tokens, for in-place replacement. */
  fields: Map<string, Token>;
}

const isSpace = (ch: string) => ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\f' || ch === '\v';

/**
 * Splits into tokens as ftp and curl do: whitespace-separated words, "double-quoted" words with backslash
 * escapes, `#` comments to the end of the line, and `macdef NAME` bodies (skipped up to the first empty line).
 */
function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    if (isSpace(text[i]!)) {
      i++;
      continue;
    }
    const start = i;
    if (text[i] === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    let value = '';
    if (text[i] === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        value += text[i++];
      }
      i++; // the closing quote
    } else {
      while (i < text.length && !isSpace(text[i]!)) value += text[i++];
    }
    out.push({ text: value, start, end: Math.min(i, text.length) });
    if (value === 'macdef' && !text.slice(start, i).startsWith('"')) {
      // The macro's name, then its body: every line up to an empty line (or the end of the file).
      while (i < text.length && text[i] !== '\n') i++;
      const blank = text.indexOf('\n\n', i);
      const crlfBlank = text.indexOf('\n\r\n', i);
      const ends = [blank, crlfBlank].filter((n) => n >= 0);
      i = ends.length ? Math.min(...ends) + 1 : text.length;
      out.push({ text: '\0macro-end', start: i, end: i });
    }
  }
  return out;
}

/** The entries of a netrc text, in order; `default` is the one with machine ''. */
export function parseNetrc(text: string): NetrcEntry[] {
  const tokens = tokenize(text);
  const out: NetrcEntry[] = [];
  let cur: NetrcEntry | null = null;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.text === 'machine' || t.text === 'default') {
      const name = t.text === 'machine' ? tokens[++i] : undefined;
      cur = { machine: name?.text ?? '', start: t.start, end: name?.end ?? t.end, fields: new Map() };
      out.push(cur);
    } else if (t.text === 'macdef' || t.text === '\0macro-end') {
      cur = null; // a macro belongs to no field of the entry; nothing after it until the next entry is ours
    } else if (cur && i + 1 < tokens.length && !['machine', 'default', 'macdef', '\0macro-end'].includes(tokens[i + 1]!.text)) {
      const v = tokens[++i]!;
      cur.fields.set(t.text, v);
      if (t.text === 'login') cur.login = v.text;
      if (t.text === 'password') cur.password = v.text;
      cur.end = v.end;
    }
  }
  return out;
}

/** A value as a netrc token: bare when it can be, else double-quoted with escapes. */
function quote(v: string): string {
  return v !== '' && !/[\s"\\#]/.test(v) ? v : `"${v.replace(/[\\"]/g, (m) => `\\${m}`)}"`;
}

/** The text with `login` and `password` of `machine` set: in place when the entry exists, else a new entry before `default`. */
export function setNetrcEntry(text: string, machine: string, login: string, password: string): string {
  const entry = parseNetrc(text).find((e) => e.machine === machine);
  if (entry) {
    const edits: Array<{ start: number; end: number; text: string }> = [];
    const missing: string[] = [];
    for (const [key, value] of [
      ['login', login],
      ['password', password],
    ] as const) {
      const tok = entry.fields.get(key);
      if (tok) edits.push({ start: tok.start, end: tok.end, text: quote(value) });
      else missing.push(` ${key} ${quote(value)}`);
    }
    if (missing.length) edits.push({ start: entry.end, end: entry.end, text: missing.join('') });
    let out = text;
    for (const e of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
    return out;
  }
  const block = `machine ${quote(machine)}\n  login ${quote(login)}\n  password ${quote(password)}\n`;
  const def = parseNetrc(text).find((e) => e.machine === '');
  if (def) {
    // `default` matches every machine, so it must stay last: the new entry goes on its own lines before it.
    const lineStart = text.lastIndexOf('\n', def.start - 1) + 1;
    const at = /^[ \t]*$/.test(text.slice(lineStart, def.start)) ? lineStart : def.start;
    return text.slice(0, at) + (at > 0 && text[at - 1] !== '\n' ? `\n${block}` : block) + text.slice(at);
  }
  if (text === '') return block;
  // After a macro body without its closing empty line the new entry would become part of the macro.
  const tokens = tokenize(text);
  const endsInMacro = tokens.length > 0 && tokens[tokens.length - 1]!.text === '\0macro-end' && !/\n\r?\n\s*$/.test(text);
  const sep = endsInMacro ? (text.endsWith('\n') ? '\n' : '\n\n') : text.endsWith('\n') ? '' : '\n';
  return text + sep + block;
}

/** The text without the entry of `machine` (its lines, when it had them to itself); null when there was none. */
export function removeNetrcEntry(text: string, machine: string): string | null {
  const entry = parseNetrc(text).find((e) => e.machine === machine && machine !== '');
  if (!entry) return null;
  let start = entry.start;
  let end = entry.end;
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  const rest = /^[ \t]*(#[^\n]*)?\r?\n?/.exec(text.slice(end))!;
  const ownLines = /^[ \t]*$/.test(text.slice(lineStart, start)) && !rest[1];
  if (ownLines) {
    start = lineStart;
    end += rest[0].length;
  } else {
    // Shares a line with something else: take the tokens and the spaces after them only.
    end += /^[ \t]*/.exec(text.slice(end))![0].length;
  }
  return text.slice(0, start) + text.slice(end);
}
