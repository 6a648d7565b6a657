// Buildpacks named by URL (BUILDPACK_URL, `yb buildpacks:set`, `.buildpacks`): a tarball (.tgz/.tar.gz) or a git
// repository (.git, optional #ref), fetched by the control plane on the host — never inside the build container —
// within a size and time limit, unpacked safely and cached by URL under $YB_DATA_DIR/buildpacks. Only http(s).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Agent, fetch } from 'undici';
import { YbError } from '../shared/errors.js';
import type { HostDir } from '../runtime/runtime.js';
import { extractTar, refuseEscapingLinks } from './source.js';
import { checkedAddress, guardedLookup, literalRefusal } from '../shared/outbound-guard.js';
import { type GitBounds, type GitRunError, runBoundedGit } from '../shared/bounded-git.js';

export type BuildpackRef =
  | { kind: 'tarball'; url: string }
  | { kind: 'git'; url: string; ref: string }
  /** Everything else (shipped names, heroku-buildpack-<shipped> URLs, local paths) is the build driver's to resolve. */
  | { kind: 'driver' };

/** What a buildpack reference is, as the control plane sees it. Pure. */
export function classifyBuildpackRef(ref: string, shipped: readonly string[]): BuildpackRef {
  if (!/^https?:\/\//i.test(ref)) return { kind: 'driver' };
  const [base = '', fragment = ''] = ref.split('#', 2);
  // Heroku's official buildpacks map to the shipped buildpack of the same language (nothing to fetch).
  const official = /\/heroku-buildpack-([a-z0-9][a-z0-9_-]*?)(\.git)?\/?$/.exec(base)?.[1];
  if (official && shipped.includes(official)) return { kind: 'driver' };
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    return { kind: 'driver' }; // the driver says it is not a buildpack it knows
  }
  if (/\.(tgz|tar\.gz)$/i.test(url.pathname)) return { kind: 'tarball', url: ref };
  if (/\.git\/?$/i.test(url.pathname)) {
    if (fragment && !/^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$/.test(fragment)) {
      throw new YbError('YB_ERR_BUILD_FAILED', `buildpack ${ref}: "#${fragment.slice(0, 80)}" is not a git branch, tag or commit`);
    }
    return { kind: 'git', url: base, ref: fragment };
  }
  return { kind: 'driver' };
}

/**
 * The buildpack references of a `.buildpacks` file: one a line, blanks skipped; a comment starts with a `#` at the
 * start of a line or after a space (a `#` inside a URL is its git ref). Pure; the driver's select.sh reads it alike.
 */
export function parseBuildpacksFile(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.replace(/(^|\s)#.*$/, '').replace(/\s+/g, ''))
    .filter(Boolean);
}

/** The buildpack references a build uses: BUILDPACK_URL (or `yb buildpacks:set`) wins over `.buildpacks`. */
export async function chosenBuildpackRefs(src: string, chosen: string | undefined): Promise<string[]> {
  if (chosen !== undefined) return [chosen.split('\n')[0]!.trim()];
  const file = join(src, '.buildpacks');
  return (await isFile(file)) ? parseBuildpacksFile(await readFile(file, 'utf8')) : [];
}

/** Where the build driver finds fetched buildpacks: read-only mounts and the map file it reads (select.sh). */
export interface FetchedMounts {
  binds: HostDir[];
  env: Record<string, string>;
}

const MOUNTED = '/tmp/buildpacks-fetched';

/** Fetches every URL buildpack among `refs` and describes their mounts; the rest is left to the driver. */
export async function fetchUrlBuildpacks(
  fetcher: BuildpackFetcher,
  refs: string[],
  shipped: readonly string[],
  work: string,
  emit: (line: string) => void,
): Promise<FetchedMounts> {
  const binds: HostDir[] = [];
  const map: string[] = [];
  for (const [i, text] of refs.entries()) {
    const ref = classifyBuildpackRef(text, shipped);
    if (ref.kind === 'driver') continue;
    const dir = await fetcher.fetch(ref, text, emit);
    binds.push({ dir, path: `${MOUNTED}/${i}`, readOnly: true });
    map.push(`${text}\t${MOUNTED}/${i}`);
  }
  if (!map.length) return { binds, env: {} };
  await writeFile(join(work, 'buildpack-map'), `${map.join('\n')}\n`);
  binds.push({ dir: join(work, 'buildpack-map'), path: '/tmp/buildpack-map', readOnly: true });
  return { binds, env: { YB_BUILDPACK_MAP: '/tmp/buildpack-map' } };
}

export interface FetchLimits {
  maxBytes: number;
  timeoutMs: number;
  /** Loopback and private-network hosts may be fetched from (outbound-guard.ts). */
  allowPrivate: boolean;
}

/** Fetches URL buildpacks into a per-URL cache; one fetch per URL at a time across builds. */
export class BuildpackFetcher {
  private readonly inFlight = new Map<string, Promise<string>>();

  constructor(
    private readonly cacheDir: string,
    private readonly limits: FetchLimits,
  ) {}

  /** The host directory of the buildpack `ref` names (fetched now unless cached); throws BUILD_FAILED with one line. */
  async fetch(ref: Exclude<BuildpackRef, { kind: 'driver' }>, label: string, emit: (line: string) => void): Promise<string> {
    const key = createHash('sha256')
      .update(ref.kind === 'git' ? `${ref.url}#${ref.ref}` : ref.url)
      .digest('hex')
      .slice(0, 24);
    const dir = join(this.cacheDir, key);
    if (existsSync(join(dir, 'bin', 'compile'))) {
      emit(`       using the cached copy of ${label}`);
      return dir;
    }
    const pending = this.inFlight.get(key) ?? this.download(ref, label, dir, emit).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, pending);
    return pending;
  }

  private async download(ref: Exclude<BuildpackRef, { kind: 'driver' }>, label: string, dir: string, emit: (line: string) => void): Promise<string> {
    const tmp = `${dir}.tmp-${process.pid}-${Date.now().toString(36)}`;
    const started = Date.now();
    emit(`-----> Fetching buildpack ${label}`);
    try {
      if (ref.kind === 'tarball') await this.downloadTarball(ref.url, tmp);
      else await this.cloneGit(ref.url, ref.ref, tmp);
      await refuseEscapingLinks(tmp).catch((err: Error) => {
        throw new Error(err.message.replace('the source contains', 'it contains'));
      });
      const root = await buildpackRoot(tmp);
      if (!root) throw new Error('it is not a buildpack: it has no bin/compile (at its top, or in its only folder)');
      const missing = [];
      for (const script of ['bin/detect', 'bin/release']) if (!(await isFile(join(root, script)))) missing.push(script);
      if (missing.length) throw new Error(`it is not a complete buildpack: it has no ${missing.join(' and ')}`);
      await makeReadable(root);
      await mkdir(this.cacheDir, { recursive: true });
      await rm(dir, { recursive: true, force: true });
      await rename(root, dir);
      emit(`       fetched in ${((Date.now() - started) / 1000).toFixed(1)} s; kept for later builds`);
      return dir;
    } catch (err) {
      throw new YbError('YB_ERR_BUILD_FAILED', `buildpack ${label} could not be used: ${(err as Error).message}`, { cause: err });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  private async downloadTarball(url: string, into: string): Promise<void> {
    const signal = AbortSignal.timeout(this.limits.timeoutMs);
    // Every connection (redirects too) goes through the address check.
    const dispatcher = new Agent({ connect: { lookup: guardedLookup(this.limits.allowPrivate) } });
    try {
      await this.streamTarball(url, into, signal, dispatcher);
    } finally {
      void dispatcher.close();
    }
  }

  private async streamTarball(url: string, into: string, signal: AbortSignal, dispatcher: Agent): Promise<void> {
    let res: Awaited<ReturnType<typeof fetch>>;
    // Redirects are followed here, not by fetch: an address literal (first URL or Location) is never looked up, so the
    // dispatcher's guarded lookup does not see it; each hop's literal is checked before it is requested.
    for (let hop = 0, next = new URL(url); ; hop++) {
      if (!/^https?:$/.test(next.protocol)) throw new Error(`it redirects to ${next.protocol} (only http and https are fetched)`);
      const refused = literalRefusal(next.hostname, this.limits.allowPrivate);
      if (refused) throw refused;
      try {
        res = await fetch(next, { signal, redirect: 'manual', dispatcher });
      } catch (err) {
        throw new Error(signal.aborted ? this.timeoutText() : `the download failed (${causeText(err)})`);
      }
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || !location) break;
      if (hop === 5) throw new Error('it redirects more than 5 times');
      await res.body?.cancel();
      next = new URL(location, next);
    }
    if (!res.ok || !res.body) throw new Error(`the server answered HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
    const declared = Number(res.headers.get('content-length') ?? 0);
    if (declared > this.limits.maxBytes) throw new Error(this.sizeText());
    let seen = 0;
    const limit = new Transform({
      transform: (chunk: Buffer, _enc, done) => {
        seen += chunk.length;
        done(seen > this.limits.maxBytes ? new Error(this.sizeText()) : null, chunk);
      },
    });
    const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
    const gunzip = createGunzip();
    // Errors of the download, the limit or gunzip end the extraction; the first one is the reason given.
    let failure: Error | undefined;
    const fail = (err: Error) => {
      failure ??= signal.aborted ? new Error(this.timeoutText()) : err;
      gunzip.destroy(failure);
    };
    body.on('error', fail);
    limit.on('error', fail);
    gunzip.on('error', (err) => (failure ??= new Error(`it is not a gzip-compressed tarball (${err.message})`)));
    try {
      // Unpacked, at most 4 × the download limit: a gzip bomb of a few MiB must not fill the disk.
      await extractTar(body.pipe(limit).pipe(gunzip), into, {
        maxBytes: 4 * this.limits.maxBytes,
        maxEntries: 200_000,
        what: 'the tarball',
        bytesSetting: '4 × YB_BUILDPACK_FETCH_MB',
        entriesSetting: 'the most a buildpack may have',
      });
    } catch (err) {
      throw failure ?? new Error((err as Error).message.replace('the source archive', 'the tarball'));
    } finally {
      body.destroy();
    }
    if (failure) throw failure;
  }

  /** git clone over http(s) only (no other transports, not even through redirects), then checkout of the ref. */
  private async cloneGit(url: string, ref: string, into: string): Promise<void> {
    const deadline = Date.now() + this.limits.timeoutMs;
    // git resolves names itself: the checked address is pinned for it, and redirects (to other hosts) refused. git is
    // given the URL as the guard read it (WHATWG-serialised), so curl cannot find another host in it than the one pinned.
    const u = new URL(url);
    const address = await checkedAddress(u.hostname, this.limits.allowPrivate);
    const port = u.port || (u.protocol === 'https:' ? '443' : '80');
    const pin = [
      '-c',
      `http.curloptResolve=${u.hostname.replace(/^\[|\]$/g, '')}:${port}:${address.includes(':') ? `[${address}]` : address}`,
      '-c',
      'http.followRedirects=false',
    ];
    await this.git([...pin, 'clone', '--quiet', '--no-checkout', '--', u.href, into], into, deadline);
    // A branch exists only as origin/<name> after a clone; a tag or commit resolves as it is.
    const wanted = ref || 'HEAD';
    let commit = '';
    for (const candidate of [wanted, `refs/remotes/origin/${wanted}`]) {
      commit = await this.git(['-C', into, 'rev-parse', '--verify', '--quiet', '--end-of-options', `${candidate}^{commit}`], into, deadline).catch(() => '');
      if (commit) break;
    }
    if (!commit) throw new Error(`the repository has no branch, tag or commit "${wanted}"`);
    await this.git(['-C', into, 'checkout', '--quiet', '--detach', commit.trim()], into, deadline);
    await rm(join(into, '.git'), { recursive: true, force: true });
  }

  /** Runs git (http(s) transports only, no hooks) within the time left and the size limit on `dir`; its stdout. */
  private async git(args: string[], dir: string, deadline: number): Promise<string> {
    const safe = ['-c', 'protocol.allow=never', '-c', 'protocol.http.allow=always', '-c', 'protocol.https.allow=always', '-c', 'core.hooksPath=/dev/null'];
    const env = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true' };
    const bounds: GitBounds = {
      deadline,
      timeoutText: this.timeoutText(),
      size: { dir, maxBytes: this.limits.maxBytes, everyMs: 250, tooLargeText: this.sizeText() },
    };
    try {
      return await runBoundedGit([...safe, ...args], env, bounds);
    } catch (err) {
      const { kind, detail } = err as GitRunError;
      throw new Error(kind === 'exit' ? `git ${args.includes('clone') ? 'clone' : 'checkout'} failed: ${detail}` : detail);
    }
  }

  private sizeText(): string {
    return `it is larger than the ${Math.round(this.limits.maxBytes / 1024 / 1024)} MiB allowed (YB_BUILDPACK_FETCH_MB)`;
  }

  private timeoutText(): string {
    return `fetching it took longer than ${Math.round(this.limits.timeoutMs / 1000)} s (YB_BUILDPACK_FETCH_TIMEOUT)`;
  }
}

function causeText(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}

/** The buildpack's root: the tree itself, or its only top-level folder (as in GitHub archive tarballs). */
const isFile = async (p: string) => (await lstat(p).catch(() => null))?.isFile() ?? false;

async function buildpackRoot(tree: string): Promise<string | null> {
  if (await isFile(join(tree, 'bin', 'compile'))) return tree;
  const entries = await readdir(tree, { withFileTypes: true });
  if (entries.length === 1 && entries[0]!.isDirectory() && (await isFile(join(tree, entries[0]!.name, 'bin', 'compile')))) return join(tree, entries[0]!.name);
  return null;
}

/** Files readable (and bin/* executable) by the unprivileged build user; nothing writable by it. */
async function makeReadable(root: string): Promise<void> {
  const walk = async (dir: string): Promise<void> => {
    await chmod(dir, 0o755);
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const abs = join(dir, e.name);
      if (e.isDirectory()) await walk(abs);
      else if (e.isFile()) await chmod(abs, (await stat(abs)).mode & 0o100 || dir === join(root, 'bin') ? 0o755 : 0o644);
    }
  };
  await walk(root);
}
