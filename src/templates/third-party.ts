// Third-party template catalogues (CapRover-style; docs/architecture.md §5.3): git repositories laid out like our
// templates/ folder, added by an administrator by URL, fetched through git/sync.ts (outbound guard, size and time
// limits) into the data dir and pinned to the fetched commit until refreshed. Everything in one is hostile: each
// template is judged from the git tree before anything is written, and only the accepted ones are unpacked.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { YbError } from '../shared/errors.js';
import { archiveCommit, checkRef, fetchCommit, gitEnv, parseRemote, type SyncLimits } from '../git/sync.js';
import { parseTemplate, TemplateCatalogue, type Template } from './catalogue.js';

export interface CatalogueRecord {
  name: string;
  /** The URL without credentials (they are used for the fetch and never kept). */
  url: string;
  ref: string;
  commit: string;
  fetchedAt: string;
  templates: string[];
  refused: Array<{ template: string; reason: string }>;
}

/** One entry of `git ls-tree -r -l`: mode, object type, size in bytes (0 for non-blobs) and path. */
export interface TreeEntry {
  mode: string;
  type: string;
  size: number;
  path: string;
}

export const CATALOGUE_NAME = /^[a-z][a-z0-9-]{0,40}$/;
const TEMPLATE_NAME = /^[a-z][a-z0-9-]{0,40}$/;
/** Unpacked bytes one template may hold, and the whole catalogue: git compresses, so the fetch limit alone is no bound. */
export const TEMPLATE_MAX_BYTES = 50 * 1024 * 1024;
export const CATALOGUE_MAX_BYTES = 200 * 1024 * 1024;
const MAX_TEMPLATES = 100;
const MAX_FILES = 5000;
const MAX_TEMPLATE_JSON = 64 * 1024;

/**
 * Judges a catalogue from its git tree: which top-level folders are acceptable templates and why the others are
 * refused (symbolic links, submodules, no template.json or app/, too big, too many files). Hidden folders and
 * top-level files (README, licence) are not templates and are passed over. Pure.
 */
export function judgeTree(entries: TreeEntry[]): { accepted: string[]; refused: CatalogueRecord['refused'] } {
  const byTemplate = new Map<string, TreeEntry[]>();
  for (const e of entries) {
    const slash = e.path.indexOf('/');
    const top = slash < 0 ? e.path : e.path.slice(0, slash);
    if (top.startsWith('.') || (slash < 0 && e.type !== 'tree' && e.type !== 'commit')) continue;
    byTemplate.set(top, [...(byTemplate.get(top) ?? []), e]);
  }
  const accepted: string[] = [];
  const refused: CatalogueRecord['refused'] = [];
  let total = 0;
  for (const [name, files] of [...byTemplate].sort(([a], [b]) => a.localeCompare(b))) {
    const refuse = (reason: string) => refused.push({ template: name.slice(0, 60), reason });
    const bytes = files.reduce((n, f) => n + f.size, 0);
    const link = files.find((f) => f.mode === '120000');
    const module = files.find((f) => f.type === 'commit');
    if (!TEMPLATE_NAME.test(name)) refuse('its folder name is not a template name (lowercase letters, digits, dashes)');
    else if (link) refuse(`${link.path.slice(0, 120)} is a symbolic link, which catalogue templates may not hold`);
    else if (module) refuse(`${module.path.slice(0, 120)} is a git submodule, which catalogue templates may not hold`);
    else if (!files.some((f) => f.path === `${name}/template.json` && f.type === 'blob')) refuse('it has no template.json');
    else if (!files.some((f) => f.path.startsWith(`${name}/app/`) && f.type === 'blob')) refuse('it has no app/ folder with files');
    else if ((files.find((f) => f.path === `${name}/template.json`)?.size ?? 0) > MAX_TEMPLATE_JSON) refuse('its template.json is larger than 64 KiB');
    else if (bytes > TEMPLATE_MAX_BYTES) refuse(`it holds ${mib(bytes)} MiB, more than the ${mib(TEMPLATE_MAX_BYTES)} MiB a template may`);
    else if (files.length > MAX_FILES) refuse(`it holds ${files.length} files, more than the ${MAX_FILES} a template may`);
    else if (total + bytes > CATALOGUE_MAX_BYTES) refuse(`the catalogue holds more than the ${mib(CATALOGUE_MAX_BYTES)} MiB allowed`);
    else if (accepted.length >= MAX_TEMPLATES) refuse(`the catalogue holds more than the ${MAX_TEMPLATES} templates allowed`);
    else {
      accepted.push(name);
      total += bytes;
    }
  }
  return { accepted, refused };
}

/** Parses `git ls-tree -r -l -z` output. Pure. */
export function parseTree(out: string): TreeEntry[] {
  return out
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const tab = line.indexOf('\t');
      const [mode = '', type = '', , size = '-'] = line.slice(0, tab).split(/ +/);
      return { mode, type, size: size === '-' ? 0 : Number(size), path: line.slice(tab + 1) };
    });
}

const mib = (n: number) => Math.ceil(n / 1024 / 1024);

export class ThirdPartyCatalogues {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly root: string,
    private readonly limits: SyncLimits,
    /** Shipped template names, which a catalogue may not take as its own name. */
    private readonly shipped: () => string[],
  ) {}

  list(): CatalogueRecord[] {
    if (!existsSync(this.root)) return [];
    return readdirSync(this.root)
      .filter((n) => CATALOGUE_NAME.test(n))
      .flatMap((n) => {
        try {
          return [JSON.parse(readFileSync(join(this.root, n, 'catalogue.json'), 'utf8')) as CatalogueRecord];
        } catch {
          return [];
        }
      })
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  record(name: string): CatalogueRecord {
    const r = CATALOGUE_NAME.test(name) ? this.list().find((c) => c.name === name) : undefined;
    if (!r) throw new YbError('YB_ERR_NOT_FOUND', `no template catalogue named "${name.slice(0, 40)}" (yb templates:catalogues lists them)`);
    return r;
  }

  /** Every accepted template of every catalogue, named `<catalogue>/<template>`. */
  templates(): Template[] {
    return this.list().flatMap((c) =>
      this.folder(c.name)
        .list()
        .map((t) => ({ ...t, name: `${c.name}/${t.name}` })),
    );
  }

  /** `<catalogue>/<template>`: the template and its packed app; a refused one is named with its reason. */
  get(full: string): { template: Template; source: () => ReturnType<TemplateCatalogue['source']> } {
    const [cat = '', name = ''] = full.split('/');
    const record = this.record(cat);
    const refused = record.refused.find((r) => r.template === name);
    if (refused) throw new YbError('YB_ERR_BAD_REQUEST', `template ${full.slice(0, 90)} was refused when its catalogue was fetched: ${refused.reason}`);
    const folder = this.folder(cat);
    if (!record.templates.includes(name)) throw new YbError('YB_ERR_NOT_FOUND', `no template named "${full.slice(0, 90)}" (yb templates lists them)`);
    const t = folder.get(name);
    return { template: { ...t, name: `${cat}/${t.name}` }, source: () => folder.source(name) };
  }

  add(name: string, url: string, ref: string, emit: (line: string) => void): Promise<CatalogueRecord> {
    return this.locked(async () => {
      if (!CATALOGUE_NAME.test(name))
        throw new YbError('YB_ERR_INVALID_NAME', `"${name.slice(0, 40)}" is not a catalogue name (lowercase letters, digits, dashes, up to 41)`);
      if (this.shipped().includes(name)) throw new YbError('YB_ERR_CONFLICT', `"${name}" is the name of a shipped template; choose another catalogue name`);
      if (existsSync(join(this.root, name)))
        throw new YbError('YB_ERR_CONFLICT', `a template catalogue named "${name}" exists (templates:catalogues:refresh fetches it again)`);
      return this.fetch(name, url, ref, emit);
    });
  }

  /** Fetches the catalogue's ref again (the URL, with credentials if it is private, may be given again). */
  refresh(name: string, url: string | undefined, emit: (line: string) => void): Promise<CatalogueRecord> {
    return this.locked(async () => {
      const r = this.record(name);
      if (url && parseRemote(url).shown !== r.url) throw new YbError('YB_ERR_BAD_REQUEST', `the URL given is not the catalogue's (${r.url})`);
      return this.fetch(name, url ?? r.url, r.ref, emit);
    });
  }

  remove(name: string): Promise<void> {
    return this.locked(async () => {
      this.record(name);
      const old = join(this.root, `.old-${randomBytes(6).toString('hex')}`);
      await rename(join(this.root, name), old);
      await rm(old, { recursive: true, force: true });
    });
  }

  private folder(name: string): TemplateCatalogue {
    return new TemplateCatalogue(join(this.root, name, 'tree'));
  }

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Fetches, judges and unpacks into a new folder, then swaps it in: a failed fetch leaves the pinned copy as it was. */
  private async fetch(name: string, url: string, ref: string, emit: (line: string) => void): Promise<CatalogueRecord> {
    const remote = parseRemote(url);
    if (ref) checkRef(ref);
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    const fetched = await fetchCommit(remote, ref, this.limits, join(this.root, '.work'), emit);
    const incoming = join(this.root, `.new-${randomBytes(6).toString('hex')}`);
    try {
      const tree = parseTree(await git(fetched.dir, ['ls-tree', '-r', '-t', '-l', '-z', '--full-tree', fetched.commit]));
      const { accepted, refused } = judgeTree(tree.filter((e) => e.type !== 'tree'));
      await mkdir(join(incoming, 'tree'), { recursive: true });
      if (accepted.length) await untar(archiveCommit(fetched.dir, fetched.commit, accepted), join(incoming, 'tree'));
      // Checked as shipped templates are (catalogue.ts); a template.json that fails is refused and removed.
      const templates: string[] = [];
      for (const t of accepted) {
        try {
          parseTemplate(t, readFileSync(join(incoming, 'tree', t, 'template.json'), 'utf8'));
          templates.push(t);
        } catch (err) {
          refused.push({ template: t, reason: (err as Error).message.replace(/^template [^:]+: /, '') });
          await rm(join(incoming, 'tree', t), { recursive: true, force: true });
        }
      }
      const record: CatalogueRecord = { name, url: remote.shown, ref, commit: fetched.commit, fetchedAt: new Date().toISOString(), templates, refused };
      await writeFile(join(incoming, 'catalogue.json'), JSON.stringify(record, null, 2), { mode: 0o600 });
      for (const r of refused) emit(`       refused ${r.template}: ${r.reason}`);
      emit(`-----> Catalogue ${name} pinned at ${fetched.commit.slice(0, 7)}: ${templates.length} template(s), ${refused.length} refused`);
      const old = join(this.root, `.old-${randomBytes(6).toString('hex')}`);
      if (existsSync(join(this.root, name))) await rename(join(this.root, name), old);
      await rename(incoming, join(this.root, name));
      await rm(old, { recursive: true, force: true });
      return record;
    } finally {
      await fetched.close();
      await rm(incoming, { recursive: true, force: true });
    }
  }
}

function git(dir: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('git', ['-c', 'core.hooksPath=/dev/null', '-C', dir, ...args], { env: gitEnv(), stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new YbError('YB_ERR_INTERNAL', `git ${args[0]} failed (exit ${code})`))));
  });
}

/** Unpacks a tar of judged folders (no links, no submodules) as plain files owned by the platform. */
function untar(source: NodeJS.ReadableStream, dest: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const tar = spawn('tar', ['-x', '--no-same-owner', '--no-same-permissions', '-C', dest, '-f', '-'], { stdio: ['pipe', 'ignore', 'ignore'] });
    source.on('error', (err) => tar.kill() && reject(err));
    source.pipe(tar.stdin);
    tar.on('error', reject);
    tar.on('exit', (code) => (code === 0 ? resolve() : reject(new YbError('YB_ERR_INTERNAL', `unpacking the catalogue failed (tar exited with ${code})`))));
  });
}
