// What a tenant's Dockerfile may ask of the Docker engine, which works on the host, outside the outbound guard
// (shared/outbound-guard.ts) and for every team at once: no ADD from a URL (the engine would fetch it from the host's
// network: its loopback services, cloud metadata), no frontend image (`# syntax=`), and RUN cache mounts confined to
// cache ids of the app's own, so no app reads or poisons another's package cache. Pure.
import { createHash } from 'node:crypto';
import { YbError } from '../shared/errors.js';
import { dockerfileInstructions, leadingFlags, parserDirectives, splitInstruction, type Instruction } from './dockerfile.js';

const refuse = (file: string, line: number, what: string) => new YbError('YB_ERR_BUILD_FAILED', `${file} line ${line}: ${what}`);

/**
 * Why an ADD's arguments may make the engine fetch from the network, or undefined. Conservative: any word that,
 * with quotes and escapes taken out (JSON escapes decoded), names a scheme (`://`) or a git remote (`git@`), and any
 * source with a variable in it (an ARG or ENV could hold a URL), is refused; COPY never fetches URLs.
 */
export function addFetchProblem(rest: string, escape: string): string | undefined {
  const args = rest.slice(leadingFlags(rest).argsAt);
  const words = rest.trim().split(/\s+/);
  let decoded: unknown;
  try {
    decoded = args.trim().startsWith('[') ? JSON.parse(args) : undefined;
  } catch {
    decoded = undefined;
  }
  const texts = [...words, ...(Array.isArray(decoded) ? decoded.map(String) : [])];
  const bare = (w: string) => w.split(escape).join('').replace(/["']/g, '').toLowerCase();
  if (texts.some((w) => bare(w).includes('://') || /^\[?git@/.test(bare(w))))
    return 'ADD from a URL is not allowed; download it in a RUN step or COPY it from the source';
  if (texts.some((w) => !w.startsWith('--') && w.includes('$')))
    return 'ADD with a variable in its source is not allowed (it could name a URL); name the file, or COPY it from the source';
  return undefined;
}

/** The fields of one CSV record as Go's encoding/csv reads it (a `--mount` value); undefined if it is not one. */
export function csvFields(value: string): string[] | undefined {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (value[i] === '"') {
      for (i++; ; i++) {
        if (i >= value.length) return undefined;
        if (value[i] === '"') {
          if (value[i + 1] !== '"') break;
          i++;
        }
        field += value[i];
      }
      i++;
      if (i < value.length && value[i] !== ',') return undefined;
    } else {
      const end = value.indexOf(',', i);
      field = value.slice(i, end < 0 ? value.length : end);
      if (field.includes('"')) return undefined;
      i += field.length;
    }
    fields.push(field);
    if (i >= value.length) return fields;
    i++; // the comma
  }
}

/** A `--mount` flag word with a cache mount's id replaced by one of `scope`'s; others unchanged. Throws on what it cannot read. */
export function confineMount(value: string, scope: string): { value: string; cache: boolean } {
  const fields = csvFields(value);
  if (!fields) throw new Error('its options could not be read');
  const typeField = fields.filter((f) => /^type=/i.test(f)).pop();
  const type = typeField?.slice(5) ?? 'bind';
  if (type.includes('$')) throw new Error('the mount type must be written out, not taken from a variable');
  if (type.toLowerCase() !== 'cache') return { value, cache: false };
  // The id defaults to the target; either is hashed into the scope's own namespace, so no spelling reaches another's.
  const given =
    fields
      .filter((f) => /^id=/i.test(f))
      .pop()
      ?.slice(3) ||
    fields
      .filter((f) => /^(target|dst|destination)=/i.test(f))
      .pop()
      ?.replace(/^[^=]*=/, '') ||
    '';
  const id = `${scope}-${createHash('sha256').update(given).digest('hex').slice(0, 16)}`;
  const kept = fields.filter((f) => !/^id=/i.test(f)).map((f) => (/[",\s]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f));
  return { value: [...kept, `id=${id}`].join(','), cache: true };
}

/** `--mount=value` written so extractBuilderFlags reads it back (the word must start with `--`, so only the value is quoted). */
function mountText(value: string): string {
  return `--mount=${/[\s"'\\]/.test(value) ? `'${value.replace(/[\\']/g, (c) => `\\${c}`)}'` : value}`;
}

/** The instruction text with its RUN cache mounts confined to `scope`, or undefined when it has none. */
function confineRun(rest: string, scope: string, file: string, line: number): string | undefined {
  const { flags } = leadingFlags(rest);
  let out = '';
  let at = 0;
  let changed = false;
  for (const f of flags) {
    if (!f.word.startsWith('--mount=')) continue;
    let mount: ReturnType<typeof confineMount>;
    try {
      mount = confineMount(f.word.slice('--mount='.length), scope);
    } catch (err) {
      throw refuse(file, line, `RUN --mount: ${(err as Error).message}`);
    }
    if (!mount.cache) continue;
    out += `${rest.slice(at, f.start)}${mountText(mount.value)}`;
    at = f.end;
    changed = true;
  }
  return changed ? out + rest.slice(at) : undefined;
}

/**
 * Checks a Dockerfile and rewrites its cache mounts into `scope` (an app's namespace); the text to build, with every
 * instruction on the lines it had (a rewritten one is joined onto its first line, its other lines left blank).
 * Throws BUILD_FAILED naming the file and line of the first thing refused. Pure.
 */
export function confineDockerfileText(text: string, scope: string, file = 'Dockerfile'): string {
  const directives = parserDirectives(text);
  for (const d of directives) {
    if (d.key === 'syntax')
      throw refuse(
        file,
        d.line,
        'a "# syntax=" directive is not allowed: it makes the engine load a frontend image, which could fetch anything; the built-in Dockerfile syntax is used',
      );
    if (d.key === 'escape' && d.line !== 1) throw refuse(file, d.line, 'the escape directive must be the first line of the file');
  }
  const escape = directives[0]?.key === 'escape' && directives[0].value.startsWith('`') ? '`' : '\\';
  const lines = text.split('\n');
  const rewrite = (ins: Instruction, joined: string) => {
    const cr = lines[ins.line - 1]!.endsWith('\r') ? '\r' : '';
    lines[ins.line - 1] = joined + cr;
    for (let l = ins.line; l < ins.endLine; l++) lines[l] = cr;
  };
  for (const ins of dockerfileInstructions(text)) {
    let { keyword, rest, restAt } = splitInstruction(ins.text);
    let prefix = ins.text.slice(0, restAt);
    if (keyword === 'onbuild') {
      // ONBUILD runs its instruction in whatever build uses this image as a base: judged and confined the same way.
      const inner = splitInstruction(rest.trimStart());
      prefix += rest.slice(0, rest.length - rest.trimStart().length) + rest.trimStart().slice(0, inner.restAt);
      ({ keyword, rest } = inner);
    }
    if (keyword === 'add') {
      const problem = addFetchProblem(rest, escape);
      if (problem) throw refuse(file, ins.line, problem);
    }
    if (keyword === 'run') {
      const confined = confineRun(rest, scope, file, ins.line);
      if (confined !== undefined) rewrite(ins, prefix + confined);
    }
  }
  return lines.join('\n');
}

/**
 * The cache scope of an app: its own on this platform instance (an id BuildKit keys cache directories by). The
 * engine keeps those directories after the app is destroyed, so the scope carries the app's incarnation (a random id
 * given when it was created): a later app of the same name, maybe another team's, gets a fresh scope. Apps created
 * before incarnations existed have none and keep the name's scope.
 */
export function cacheScope(instance: string, app: string, incarnation?: string): string {
  return incarnation ? `yb-${instance}-${app}-${incarnation}` : `yb-${instance}-${app}`;
}
