// Which images a tenant's Dockerfile may build on or copy from (issue #14): the platform's public base images, images
// the app's team imported or built, and stages of the same file. Another team's release image holds that team's code
// and whatever it baked in, so `FROM`, `COPY --from` and `RUN --mount=…,from=` naming it are refused, by image id,
// however the image is spelled (tag, digest, id prefix). Pure, but for checkDockerfileImages (asks the engine).
import type { ImageStore } from '../runtime/runtime.js';
import { YbError } from '../shared/errors.js';
import { dockerfileInstructions, leadingFlags, splitInstruction } from './dockerfile.js';
import { addFetchProblem, csvFields } from './dockerfile-guard.js';

/** An image a Dockerfile names, with the line that names it. */
export interface ImageReference {
  ref: string;
  line: number;
}

/** What a build may use: ids of the platform's public images, and whether the app's team owns an image id. */
export interface ImageAccess {
  publicImages: string[];
  ownsImage: (imageId: string) => Promise<boolean>;
}

const refuse = (file: string, line: number, what: string) => new YbError('YB_ERR_BUILD_FAILED', `${file} line ${line}: ${what}`);

/** `$NAME` or `${NAME}` replaced from `vars` (missing: empty, as the engine does); undefined for any other use of `$`, which is not read here. */
function expand(word: string, vars: Record<string, string>): string | undefined {
  const out = word.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (_m, a: string | undefined, b: string | undefined) => vars[(a ?? b)!] ?? '',
  );
  return out.includes('$') || out.includes('\\') ? undefined : out;
}

/**
 * The images a Dockerfile's build would read, in order: stage bases, `COPY --from` and `RUN --mount` `from=`, with
 * stage names (defined earlier in the file), stage indexes and `scratch` left out. A FROM may use the global ARGs
 * as `$NAME` or `${NAME}` (`buildArgs` override their defaults, as at build time); any other variable, and any
 * variable in a `--from` or `from=`, is refused (throws): the name would only be known to the engine. ONBUILD
 * instructions do not run in this build and are left to the build that uses the image. Pure.
 */
export function imageReferences(text: string, buildArgs: Record<string, string>, file = 'Dockerfile'): ImageReference[] {
  const globals: Record<string, string> = {};
  const stages: string[] = [];
  const out: ImageReference[] = [];
  const isStage = (name: string) => stages.includes(name.toLowerCase()) || (/^\d+$/.test(name) && Number(name) < stages.length);
  const named = (ref: string, line: number) => {
    if (ref.includes('$'))
      throw refuse(file, line, `"${ref.slice(0, 120)}": an image or stage named by a variable is not allowed here; name a stage (FROM … AS name) or the image`);
    if (ref && ref.toLowerCase() !== 'scratch' && !isStage(ref)) out.push({ ref, line });
  };
  let seenFrom = false;
  for (const ins of dockerfileInstructions(text)) {
    const { keyword, rest } = splitInstruction(ins.text);
    if (keyword === 'arg' && !seenFrom) {
      for (const decl of rest.trim().split(/\s+/)) {
        const [name, ...v] = decl.split('=');
        if (name && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) globals[name] = buildArgs[name] ?? (v.length ? v.join('=').replace(/^"(.*)"$/, '$1') : '');
      }
    } else if (keyword === 'from') {
      seenFrom = true;
      const words = rest.slice(leadingFlags(rest).argsAt).trim().split(/\s+/);
      const ref = expand(words[0] ?? '', globals);
      if (ref === undefined)
        throw refuse(file, ins.line, `FROM ${(words[0] ?? '').slice(0, 120)}: only $NAME or \${NAME} of a global ARG may stand in a base image name`);
      if (ref && ref.toLowerCase() !== 'scratch' && !isStage(ref)) out.push({ ref, line: ins.line }); // empty: the engine refuses it
      stages.push(words[1]?.toLowerCase() === 'as' && words[2] ? words[2].toLowerCase() : `\0${stages.length}`);
    } else if (keyword !== 'onbuild') {
      for (const f of leadingFlags(rest).flags) {
        const from = /^--from=(.*)$/i.exec(f.word)?.[1];
        if (from !== undefined) named(from, ins.line);
        if (!/^--mount=/i.test(f.word)) continue;
        const fields = csvFields(f.word.slice('--mount='.length));
        if (!fields) throw refuse(file, ins.line, 'RUN --mount: its options could not be read');
        // Spaces around the key are taken out too, in case the engine's reader trims them.
        for (const field of fields) if (/^\s*from\s*=/i.test(field)) named(field.replace(/^\s*from\s*=\s*/i, ''), ins.line);
      }
    }
  }
  return out;
}

/**
 * Why an ONBUILD trigger of a base image may not run in a tenant's build, or undefined. The trigger runs in this
 * build though no line of the app's Dockerfile says it, so it gets no rewriting: an ADD from a URL, any other image
 * or stage it copies or mounts from, and any cache mount (its id could be another app's) are refused. Pure.
 */
export function onbuildProblem(trigger: string): string | undefined {
  const { keyword, rest } = splitInstruction(trigger.trim());
  if (keyword === 'add') {
    const problem = addFetchProblem(rest, '\\');
    if (problem) return problem;
  }
  for (const f of leadingFlags(rest).flags) {
    if (/^--from=/i.test(f.word)) return 'an ONBUILD instruction that copies from another image or stage is not allowed';
    if (!/^--mount=/i.test(f.word)) continue;
    const fields = csvFields(f.word.slice('--mount='.length));
    if (!fields) return 'an ONBUILD RUN --mount whose options cannot be read is not allowed';
    if (fields.some((x) => /^\s*from\s*=/i.test(x))) return 'an ONBUILD RUN --mount from another image or stage is not allowed';
    if (fields.some((x) => /^\s*type\s*=\s*cache\s*$/i.test(x)))
      return "an ONBUILD RUN with a cache mount is not allowed (its cache id would not be the app's own)";
  }
  return undefined;
}

/** Whether `ref` can go into an engine API path as an image reference (no "..", "." or empty segment). */
function isReference(ref: string): boolean {
  return /^[a-z0-9][a-z0-9._/:@-]{0,254}$/i.test(ref) && !ref.split('/').some((s) => s === '' || s === '.' || s === '..');
}

/**
 * Checks every image the Dockerfile `text` names against `access`, by the id the engine resolves it to, and the
 * ONBUILD triggers of each; throws BUILD_FAILED naming the line. A missing image and another team's read the same,
 * so names on the engine do not leak across teams.
 */
export async function checkDockerfileImages(
  images: ImageStore,
  text: string,
  buildArgs: Record<string, string>,
  file: string,
  access: ImageAccess,
): Promise<void> {
  const publicIds = new Set<string>();
  // A public image missing from this engine cannot be built on; the others still can.
  for (const ref of access.publicImages) if (await images.exists(ref)) publicIds.add(await images.id(ref));
  for (const { ref, line } of imageReferences(text, buildArgs, file)) {
    const unusable = () =>
      new YbError(
        'YB_ERR_BUILD_FAILED',
        `the base image "${ref.slice(0, 120)}" is not on this machine, or not one your team imported or built (${file} line ${line})`,
        {
          hint: `build on ${access.publicImages.join(' or ')}, or on an image your team imported with "yb images:import FILE"; nothing can be pulled`,
        },
      );
    if (!isReference(ref)) throw refuse(file, line, `"${ref.slice(0, 120)}" is not an image reference`);
    const info = await images.describe(ref);
    if (!info) throw unusable();
    if (!publicIds.has(info.id) && !(await access.ownsImage(info.id))) throw unusable();
    for (const trigger of info.onBuild) {
      const problem = onbuildProblem(trigger);
      if (problem) throw refuse(file, line, `the image "${ref.slice(0, 120)}" has the ONBUILD instruction "${trigger.slice(0, 120)}": ${problem}`);
    }
  }
}
