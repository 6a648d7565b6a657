// Host-side reads of files a tenant could have written (the app's source, and what its build left in the source
// and output directories): symbolic links are resolved here, one component at a time and never outside the tree,
// so no link — absolute, `..`, chained or on a directory on the way — makes the control plane read a host file.
import { constants } from 'node:fs';
import { lstat, open, readlink, realpath } from 'node:fs/promises';
import { isAbsolute, join, sep } from 'node:path';
import { YbError } from '../shared/errors.js';

/** Links on the way to a file: followed while they stay inside the tree (`inside`), or refused outright (`none`). */
export type LinkPolicy = 'inside' | 'none';

export interface TenantReadOptions {
  /** How the tree is named in messages, e.g. "the app" or "the build output". */
  tree: string;
  links: LinkPolicy;
  /** Larger files are refused (a Procfile or app.json of megabytes is not one). */
  maxBytes?: number;
}

/** The app's source as pushed: links are followed while they stay inside it. */
export const APP_SOURCE: TenantReadOptions = { tree: 'the app', links: 'inside' };
/** What a buildpack build wrote to its output directory: no link is followed. */
export const BUILD_OUTPUT: TenantReadOptions = { tree: 'the build output', links: 'none' };

const MAX_LINKS = 40; // as the kernel's ELOOP limit
const DEFAULT_MAX_BYTES = 1024 * 1024;

export type Resolved =
  | { kind: 'inside'; parts: string[]; exists: boolean }
  | { kind: 'escapes'; link: string; target: string }
  | { kind: 'loop'; link: string };

/**
 * Where `rel` leads under `root`, following links as the kernel would but reading only inside `root`: a `..` past
 * the top or an absolute target is an escape, named by the link that caused it. Past a missing component the rest
 * is taken by name (nothing is there to follow). `root` must be a real path (no links in it).
 */
export async function resolveInTree(root: string, rel: string): Promise<Resolved> {
  const queue = rel.split('/');
  const parts: string[] = [];
  let links = 0;
  let missing = false;
  let via: { link: string; target: string } | null = null; // the last link followed, to name an escape
  while (queue.length) {
    const c = queue.shift()!;
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (!parts.length) return { kind: 'escapes', link: via?.link ?? rel, target: via?.target ?? rel };
      parts.pop();
      continue;
    }
    if (missing) {
      parts.push(c);
      continue;
    }
    const abs = join(root, ...parts, c);
    const st = await lstat(abs).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return null;
      throw err;
    });
    if (!st) {
      missing = true;
      parts.push(c);
      continue;
    }
    if (!st.isSymbolicLink()) {
      parts.push(c);
      continue;
    }
    if (++links > MAX_LINKS) return { kind: 'loop', link: [...parts, c].join('/') };
    const target = await readlink(abs);
    via = { link: [...parts, c].join('/'), target };
    if (isAbsolute(target)) return { kind: 'escapes', ...via };
    queue.unshift(...target.split('/'));
  }
  return { kind: 'inside', parts, exists: !missing };
}

function fail(message: string): never {
  throw new YbError('YB_ERR_BUILD_FAILED', message);
}

/** The first symbolic link on the way to `rel` (its path under root and target), or null. */
async function firstLink(root: string, rel: string): Promise<{ link: string; target: string } | null> {
  const parts = rel.split('/').filter((c) => c && c !== '.');
  for (let i = 1; i <= parts.length; i++) {
    const abs = join(root, ...parts.slice(0, i));
    const st = await lstat(abs).catch(() => null);
    if (!st) return null;
    if (st.isSymbolicLink()) return { link: parts.slice(0, i).join('/'), target: await readlink(abs) };
  }
  return null;
}

/** Where `rel` really is under `root`, or null when absent; throws (one sentence) when a link leads out or is refused. */
async function locate(root: string, rel: string, opts: TenantReadOptions): Promise<{ realRoot: string; path: string } | null> {
  if (isAbsolute(rel) || rel.split('/').includes('..')) fail(`${rel.slice(0, 100)} is not a path inside ${opts.tree}`);
  const realRoot = await realpath(root);
  if (opts.links === 'none') {
    const link = await firstLink(realRoot, rel);
    if (link) fail(`${link.link} in ${opts.tree} is a symbolic link (to ${link.target.slice(0, 200)}); the platform reads it only as a plain file`);
    return { realRoot, path: join(realRoot, rel) };
  }
  const r = await resolveInTree(realRoot, rel);
  if (r.kind === 'escapes')
    fail(`${rel} leads out of ${opts.tree} through a symbolic link (${r.link} -> ${r.target.slice(0, 200)}); the platform reads only files inside it`);
  if (r.kind === 'loop') fail(`${rel} in ${opts.tree} goes through too many symbolic links (at ${r.link})`);
  if (!r.exists) return null;
  return { realRoot, path: join(realRoot, ...r.parts) };
}

/**
 * The text of `rel` under `root` (a tree a tenant could write), or null when there is no such file. Refuses, in one
 * sentence, a link that leads out of the tree (or any link, with `links: 'none'`), anything but a regular file, and
 * files over `maxBytes`. The file is opened without following links and its real path is checked once it is open.
 */
export async function readTenantFile(root: string, rel: string, opts: TenantReadOptions): Promise<string | null> {
  const where = await locate(root, rel, opts);
  if (!where) return null;
  let fh;
  try {
    // O_NONBLOCK: a FIFO planted in place of the file must not hang the control plane.
    fh = await open(where.path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    if (code === 'ELOOP') fail(`${rel} in ${opts.tree} is a symbolic link; the platform reads it only as a plain file`);
    throw err;
  }
  try {
    // What was opened, as the kernel sees it: a race that swapped a directory for a link since `locate` shows here.
    const opened = await readlink(`/proc/self/fd/${fh.fd}`);
    if (opened !== where.realRoot && !opened.startsWith(where.realRoot + sep)) fail(`${rel} is not inside ${opts.tree}`);
    const st = await fh.stat();
    if (!st.isFile()) fail(`${rel} in ${opts.tree} is not a regular file`);
    const max = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    if (st.size > max) fail(`${rel} in ${opts.tree} is larger than ${Math.round(max / 1024)} KiB`);
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < st.size) {
      const { bytesRead } = await fh.read(buf, off, st.size - off, off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    return buf.subarray(0, off).toString('utf8');
  } finally {
    await fh.close();
  }
}

/** Whether `rel` under `root` is a regular file reachable inside the tree; throws as readTenantFile for links out. */
export async function tenantFileExists(root: string, rel: string, opts: Omit<TenantReadOptions, 'maxBytes'>): Promise<boolean> {
  const where = await locate(root, rel, opts);
  if (!where) return false;
  const st = await lstat(where.path).catch(() => null);
  return Boolean(st?.isFile());
}

/** The kind of `path` itself (a link is not followed): absent, a link, a directory or something else. */
export async function entryKind(path: string): Promise<'absent' | 'link' | 'dir' | 'other'> {
  const st = await lstat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (!st) return 'absent';
  return st.isSymbolicLink() ? 'link' : st.isDirectory() ? 'dir' : 'other';
}
