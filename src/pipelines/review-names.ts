// Review app names (docs/architecture.md §5.6): which app a branch of a review parent deploys to. Pure. Any branch
// name git accepts (long, unicode, "../x", lookalikes of main) maps to a valid, bounded app name that never is the
// parent's, and the caller skips names already taken by other apps.
import { createHash } from 'node:crypto';
import { YbError } from '../shared/errors.js';

/** Longest review app name: its services, `<review app>-<kind>` (postgres is the longest kind), stay valid names (30). */
export const MAX_REVIEW_NAME = 21;
/** Longest branch name accepted, in bytes (git itself allows longer refs; nobody types them). */
export const MAX_BRANCH_BYTES = 255;

/** The branch of a pushed ref (`refs/heads/<branch>`); null for other refs and for main/master, which deploy the app itself. */
export function branchOfRef(ref: string): string | null {
  if (!ref.startsWith('refs/heads/')) return null;
  const branch = ref.slice('refs/heads/'.length);
  return branch === 'main' || branch === 'master' ? null : branch;
}

/** Refuses what cannot be a branch name (git check-ref-format's main rules) or is longer than MAX_BRANCH_BYTES. */
export function checkBranch(branch: string): string {
  const bad =
    branch === '' ||
    Buffer.byteLength(branch) > MAX_BRANCH_BYTES ||
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
    /[\x00-\x20\x7f~^:?*[\\]|\.\.|@\{|\/\/|^[-/.]|[/.]$|\.lock$|\/\.|^@$/.test(branch);
  if (bad) throw new YbError('YB_ERR_BAD_REQUEST', `"${branch.slice(0, 64)}" is not a branch name git accepts (or is longer than ${MAX_BRANCH_BYTES} bytes)`);
  if (branch === 'main' || branch === 'master') throw new YbError('YB_ERR_BAD_REQUEST', `${branch} deploys the app itself, not a review app`);
  return branch;
}

/** The branch as lowercase letters, digits and single dashes (may be empty). */
export function branchSlug(branch: string): string {
  return branch
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * Candidate app names for `branch` of `parent`, best first: `<parent>-<branch>` when the branch already is a clean
 * slug and the result fits MAX_REVIEW_NAME; then a name with 6 hex digits of a hash of parent and branch (so two
 * branches whose slugs match, e.g. `Feature/X` and `feature-x`, get different apps).
 */
export function reviewAppNames(parent: string, branch: string): string[] {
  const slug = branchSlug(branch);
  const names: string[] = [];
  const plain = `${parent}-${slug}`;
  if (slug !== '' && slug === branch && plain.length <= MAX_REVIEW_NAME) names.push(plain);
  const hash = createHash('sha256').update(`${parent}\0${branch}`).digest('hex').slice(0, 6);
  const head = plain.slice(0, MAX_REVIEW_NAME - 7).replace(/-+$/, '');
  names.push(`${head}-${hash}`);
  return names;
}
