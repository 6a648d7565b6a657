// Fetching one commit of a remote git repository for a deploy (`yb git:sync`, webhooks; docs/architecture.md §4.1):
// the URL is judged by the outbound guard, the fetch is shallow, bounded in time and size, runs no hooks, filters or
// submodules and prompts for nothing; credentials in the URL reach git only through its environment, never argv or logs.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { YbError } from '../shared/errors.js';
import { checkedAddress } from '../shared/outbound-guard.js';
import { type GitBounds, type GitRunError, runBoundedGit } from '../shared/bounded-git.js';

export interface SyncLimits {
  /** Largest fetched repository (objects on disk), in bytes. */
  maxBytes: number;
  timeoutMs: number;
  /** Loopback and private-network hosts may be fetched from (YB_OUTBOUND_PRIVATE). */
  allowPrivate: boolean;
}

/** A remote as git is given it: the URL without credentials, and the credentials apart. */
export interface Remote {
  url: URL;
  username: string;
  password: string;
  /** The URL without credentials, for messages and records. */
  shown: string;
}

const MAX_URL = 2048;

/** The URL with any user name and password removed (for logs, records and answers). Pure; never throws. */
export function redactUrl(text: string): string {
  try {
    const u = new URL(text);
    u.username = '';
    u.password = '';
    return u.href;
  } catch {
    return text.replace(/\/\/[^/@]*@/, '//').slice(0, 200);
  }
}

/**
 * A remote repository URL users may give: http(s) (credentials allowed, sent as a header) or git:// (none). No
 * ssh (the platform holds no key for it), no local paths, file://, ext:: or other transports. Pure; throws YbError.
 */
export function parseRemote(text: string): Remote {
  const bad = (why: string) => new YbError('YB_ERR_BAD_REQUEST', `the repository URL ${redactUrl(text).slice(0, 200)} ${why}`);
  if (text.length > MAX_URL) throw new YbError('YB_ERR_BAD_REQUEST', `the repository URL is longer than ${MAX_URL} characters`);
  if ([...text].some((ch) => ch.charCodeAt(0) <= 0x20 || ch.charCodeAt(0) === 0x7f)) throw bad('contains spaces or control characters');
  if (/^[a-z][a-z0-9+.-]*::/i.test(text)) throw bad('names a git transport helper ("::"), which is not allowed; give an https:// or git:// URL');
  if (/^[^/:]+@[^/:]+:/.test(text) || /^ssh:\/\//i.test(text) || /^git\+ssh:/i.test(text))
    throw bad('is an ssh remote; the platform keeps no ssh key, so give an https:// URL (with a read token as the password if it is private)');
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw bad('is not a URL; give an https:// or git:// URL');
  }
  if (!['http:', 'https:', 'git:'].includes(u.protocol))
    throw bad(`uses ${u.protocol.replace(/:$/, '')}, which the platform does not fetch from; give an https:// or git:// URL`);
  if (!u.hostname) throw bad('has no host');
  if (u.protocol === 'git:' && (u.username || u.password)) throw bad('has credentials, which git:// cannot carry');
  if (u.search || u.hash) throw bad('has a query or fragment; give the branch, tag or commit separately');
  const username = decodeURIComponent(u.username);
  const password = decodeURIComponent(u.password);
  u.username = '';
  u.password = '';
  return { url: u, username, password, shown: u.href };
}

/** A branch, tag or commit name as given to `git fetch`: no options, no refspecs, no path tricks. Pure; throws YbError. */
export function checkRef(ref: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$/.test(ref) || ref.includes('..') || ref.endsWith('.lock') || ref.endsWith('/') || ref.includes('//'))
    throw new YbError('YB_ERR_BAD_REQUEST', `"${ref.slice(0, 80)}" is not a git branch, tag or commit name`);
  return ref;
}

export const isCommitId = (ref: string) => /^[0-9a-f]{40}$|^[0-9a-f]{64}$/.test(ref);

/** git's own settings for every run: only the transports named, no hooks, no submodules, no redirects, no helpers. */
const SAFE = [
  ['protocol.allow', 'never'],
  ['protocol.http.allow', 'always'],
  ['protocol.https.allow', 'always'],
  ['protocol.git.allow', 'always'],
  ['core.hooksPath', '/dev/null'],
  ['fetch.recurseSubmodules', 'false'],
  ['submodule.recurse', 'false'],
  ['http.followRedirects', 'false'],
  ['credential.helper', ''],
  ['transfer.fsckObjects', 'true'],
  // The received pack is kept as one file that grows as it arrives, so the size check below sees it grow.
  ['fetch.unpackLimit', '1'],
];

/** A fetched commit in a private bare repository; `close` removes it. */
export interface Fetched {
  dir: string;
  commit: string;
  close(): Promise<void>;
}

/**
 * Fetches `ref` (a branch, tag or commit; the remote's HEAD when empty) of `remote` into a new bare repository under
 * `workRoot`, one commit deep. A commit id that the server will not hand out by id is looked for among the last
 * commits of `branch` when one is named (webhooks). Throws YbError (BAD_REQUEST for what the user can fix).
 */
export async function fetchCommit(
  remote: Remote,
  ref: string,
  limits: SyncLimits,
  workRoot: string,
  emit: (line: string) => void,
  branch?: string,
): Promise<Fetched> {
  if (ref) checkRef(ref);
  if (branch) checkRef(branch);
  await mkdir(workRoot, { recursive: true, mode: 0o700 });
  const dir = await mkdtemp(join(workRoot, 'sync-'));
  // Retried: git's helpers (index-pack, remote-http) can still be writing for a moment after git itself is killed,
  // and a removal that fails then must not replace the error that stopped the fetch.
  const close = () => rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  try {
    const deadline = Date.now() + limits.timeoutMs;
    const { url, config } = await pinned(remote, limits.allowPrivate);
    const git = (args: string[], watch = false) => runGit(args, config, dir, deadline, watch ? limits : undefined, remote.shown);
    await git(['init', '--quiet', '--bare', dir]);
    emit(`-----> Fetching ${ref || 'HEAD'} from ${remote.shown}`);
    const started = Date.now();
    const fetch = (what: string, depth: number) =>
      git(['-C', dir, 'fetch', '--quiet', '--no-tags', '--no-recurse-submodules', `--depth=${depth}`, '--', url, what], true);
    try {
      await fetch(ref || 'HEAD', 1);
    } catch (err) {
      if (!(isCommitId(ref) && branch)) throw err;
      // Servers without allowReachableSHA1InWant (protocol v0) hand out branches only: look for the commit near its tip.
      await fetch(`refs/heads/${branch}`, 20);
      const found = await git(['-C', dir, 'cat-file', '-t', ref]).catch(() => '');
      if (found.trim() !== 'commit') throw new YbError('YB_ERR_BAD_REQUEST', `${remote.shown} has no commit ${ref} among the last 20 of ${branch}`);
      emit(`       fetched ${branch} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return { dir, commit: ref, close };
    }
    const commit = (await git(['-C', dir, 'rev-parse', '--verify', '--quiet', '--end-of-options', 'FETCH_HEAD^{commit}'])).trim();
    if (!isCommitId(commit)) throw new YbError('YB_ERR_BAD_REQUEST', `${ref || 'HEAD'} of ${remote.shown} is not a commit`);
    emit(`       fetched ${commit.slice(0, 7)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return { dir, commit, close };
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}

/** The commit's tree (or only `paths` of it) as a tar stream (what the pre-receive hook sends for a push). */
export function archiveCommit(dir: string, commit: string, paths: string[] = []): Readable {
  const p = spawn('git', ['-c', 'core.hooksPath=/dev/null', '-C', dir, 'archive', '--format=tar', commit, ...(paths.length ? ['--', ...paths] : [])], {
    env: gitEnv(),
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  // Piped at once: node drains (and drops) a child's unread stdout when it exits, and the build reads later.
  const out = new PassThrough();
  p.stdout.pipe(out);
  p.on('error', (e) => out.destroy(e));
  p.on('exit', (code) => {
    if (code !== 0) out.destroy(new YbError('YB_ERR_BUILD_FAILED', `git archive of ${commit.slice(0, 7)} failed (exit ${code})`));
  });
  return out;
}

/** Makes the app's repository's main branch the deployed commit, as a push would have (fetched from our own copy). */
export async function recordInAppRepo(appRepo: string, fetched: Fetched): Promise<void> {
  const config = [...SAFE.filter(([k]) => k !== 'protocol.allow'), ['protocol.allow', 'never'], ['protocol.file.allow', 'always']];
  const args = ['-C', appRepo, 'fetch', '--quiet', '--no-tags', '--update-shallow', '--', fetched.dir, `+${fetched.commit}:refs/heads/main`];
  await runGit(args, config, appRepo, Date.now() + 60_000, undefined, 'the fetched copy', 'file');
}

/** The URL git is given and the settings that pin it to the checked address and carry the credentials. */
async function pinned(remote: Remote, allowPrivate: boolean): Promise<{ url: string; config: string[][] }> {
  const u = new URL(remote.url.href);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  let address: string;
  try {
    address = await checkedAddress(host, allowPrivate);
  } catch (err) {
    throw new YbError('YB_ERR_BAD_REQUEST', `the repository ${remote.shown} cannot be fetched: ${(err as Error).message}`, { cause: err });
  }
  const config = SAFE.map((kv) => [...kv]);
  if (u.protocol === 'git:') {
    // git resolves names itself: it is given the checked address (git daemon does not need the name).
    u.hostname = address.includes(':') ? `[${address}]` : address;
  } else {
    const port = u.port || (u.protocol === 'https:' ? '443' : '80');
    config.push(['http.curloptResolve', `${host}:${port}:${address.includes(':') ? `[${address}]` : address}`]);
    if (remote.username || remote.password)
      config.push(['http.extraHeader', `Authorization: Basic ${Buffer.from(`${remote.username}:${remote.password}`).toString('base64')}`]);
  }
  return { url: u.href, config };
}

/** The environment of every git run: no system or user config, no prompts, only the allowed transports. */
export function gitEnv(config: string[][] = [], protocols = 'http:https:git'): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: '/nonexistent',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: 'true',
    SSH_ASKPASS: 'true',
    GIT_ALLOW_PROTOCOL: protocols,
    GIT_PROTOCOL_FROM_USER: '0',
    GIT_CONFIG_COUNT: String(config.length),
  };
  // Settings (the credential header among them) travel in the environment, which other users cannot read, not argv.
  for (const [i, [k, v]] of config.entries()) {
    env[`GIT_CONFIG_KEY_${i}`] = k;
    env[`GIT_CONFIG_VALUE_${i}`] = v;
  }
  return env;
}

/** Runs git within the deadline (and, with `limits`, the size limit on `dir`); its stdout, or a one-line YbError. */
async function runGit(
  args: string[],
  config: string[][],
  dir: string,
  deadline: number,
  limits: SyncLimits | undefined,
  shown: string,
  protocols?: string,
): Promise<string> {
  const seconds = limits ? Math.round(limits.timeoutMs / 1000) : 60;
  const bounds: GitBounds = {
    deadline,
    timeoutText: `fetching ${shown} took longer than ${seconds} s (YB_GIT_SYNC_TIMEOUT)`,
    size: limits && {
      dir,
      maxBytes: limits.maxBytes,
      everyMs: 100,
      tooLargeText: `${shown} is larger than the ${Math.round(limits.maxBytes / 1024 / 1024)} MiB allowed (YB_GIT_SYNC_MB)`,
    },
  };
  try {
    return await runBoundedGit(args, gitEnv(config, protocols), bounds);
  } catch (err) {
    const { kind, detail } = err as GitRunError;
    if (kind === 'spawn') throw new YbError('YB_ERR_INTERNAL', detail);
    if (kind === 'limit') throw new YbError('YB_ERR_BAD_REQUEST', detail);
    const verb = args.find((a) => ['init', 'fetch', 'rev-parse', 'cat-file'].includes(a)) ?? '';
    throw new YbError('YB_ERR_BAD_REQUEST', `git ${verb} failed: ${redactUrl(detail)}`);
  }
}
