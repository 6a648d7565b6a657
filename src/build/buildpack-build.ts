// The buildpack path of a build (Heroku buildpack API, docs/architecture.md §4): buildpacks fetched by URL on the host,
// the builder task over the unpacked source with the app's cache and config, its result read as tenant output, then
// the run image — the app on a shared runtime layer image, built once per distinct runtime. Used by build-service.ts.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HostDir, Runtime } from '../runtime/runtime.js';
import { YbError } from '../shared/errors.js';
import { parseProcfile, parseReleaseYaml } from '../release/procfile.js';
import type { Phase } from '../shared/phases.js';
import { registryEnv } from './registries.js';
import { renderRunDockerfile, renderRuntimeDockerfile, runtimeFingerprint, runtimeListingKey, RuntimeMemo } from './run-image.js';
import type { BuildRecord } from './build-record.js';
import { APP_SOURCE, BUILD_OUTPUT, entryKind, readTenantFile } from './tenant-files.js';
import { tarDir } from './context.js';
import { BuildpackFetcher, chosenBuildpackRefs, fetchUrlBuildpacks } from './buildpack-fetch.js';
import type { BuildRequest, BuildSettings } from './build-service.js';

const BUILD_UID = 1000;
const CONTAINER_CA = '/etc/ssl/certs/ca-certificates.crt';
/** The driver's line after a buildpack's bin/detect accepted the app (buildpacks/bin/build): detect ends, compile begins. */
const DETECTED = /^-----> .* app detected$/;

async function chownTree(dir: string, uid: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    // -P -h: the per-app cache keeps what earlier builds left, links included; a link is re-owned itself, never
    // what it names (a build could plant cache/x -> /etc/shadow), and never descended into.
    const p = spawn('chown', ['-R', '-P', '-h', `${uid}:${uid}`, dir], { stdio: 'ignore' });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`chown exited with ${code}`))));
  });
}

export class BuildpackBuilder {
  private readonly fetcher: BuildpackFetcher;
  /** Which runtime image each app incarnation's last build used, so a warm build skips hashing an unchanged runtime. */
  private readonly runtimes = new RuntimeMemo();

  constructor(
    private readonly runtime: Runtime,
    private readonly settings: BuildSettings,
    /** YB_BUILD_MEMORY in bytes. */
    private readonly memoryBytes: number | undefined,
  ) {
    this.fetcher = new BuildpackFetcher(
      join(settings.dataDir, 'buildpacks'),
      settings.buildpackFetch ?? { maxBytes: 100 * 1024 * 1024, timeoutMs: 120_000, allowPrivate: false },
    );
  }

  /** Builds `work`/src (unpacked) into `rec.image`, filling the record's language, process types and durations. */
  async build(rec: BuildRecord, req: BuildRequest, work: string, emit: (l: string) => void, mark: (phase: Phase, at?: number) => void): Promise<void> {
    const src = join(work, 'src');
    const envDir = join(work, 'env');
    const outDir = join(work, 'out');
    const cacheDir = join(this.settings.dataDir, 'cache', req.app);
    await Promise.all([mkdir(envDir, { recursive: true }), mkdir(outDir, { recursive: true }), mkdir(cacheDir, { recursive: true })]);
    for (const [k, v] of Object.entries(req.config)) await writeFile(join(envDir, k), v);
    if (req.buildpack) await writeFile(join(envDir, 'BUILDPACK_URL'), req.buildpack);
    // Buildpack URLs are fetched here on the host (limits, cache); the build container never downloads buildpacks.
    const tf = Date.now();
    const shipped = (await readFile(join(this.settings.buildpacksDir, 'order'), 'utf8'))
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    const fetched = await fetchUrlBuildpacks(this.fetcher, await chosenBuildpackRefs(src, req.buildpack ?? req.config.BUILDPACK_URL), shipped, work, emit);
    if (fetched.binds.length) rec.durations.buildpackFetch = Date.now() - tf;
    await Promise.all([chownTree(work, BUILD_UID), chownTree(cacheDir, BUILD_UID)]);

    const t = Date.now();
    let detected = 0;
    const dirs: HostDir[] = [
      { dir: src, path: '/tmp/build' },
      { dir: cacheDir, path: '/tmp/cache' },
      { dir: envDir, path: '/tmp/env', readOnly: true },
      { dir: outDir, path: '/tmp/out' },
      { dir: this.settings.buildpacksDir, path: '/buildpacks', readOnly: true },
      ...fetched.binds,
    ];
    const ca = existsSync(this.settings.caBundle) ? this.settings.caBundle : null;
    if (ca) dirs.push({ dir: ca, path: CONTAINER_CA, readOnly: true });
    const code = await this.runtime.runTask(
      {
        hardening: 'build',
        workload: { kind: 'build', app: req.app },
        image: this.settings.builderImage,
        command: ['/buildpacks/bin/build', '/tmp/build', '/tmp/cache', '/tmp/env', '/tmp/out'],
        env: { ...registryEnv(this.settings.registries, ca ? CONTAINER_CA : null), ...fetched.env, STACK: 'yunbang-bookworm', HOME: '/tmp/home' },
        hostDirs: dirs,
        user: `${BUILD_UID}:${BUILD_UID}`,
        timeoutMs: this.settings.timeoutMs,
        memoryBytes: this.memoryBytes,
        nanoCpus: this.settings.cpus ? Math.round(this.settings.cpus * 1e9) : undefined,
      },
      (line) => {
        if (!detected && DETECTED.test(line)) detected = Date.now();
        emit(line);
      },
    );
    // The build's own output marks the end of detection; a build that never got there spent it all detecting.
    mark('detect', detected || Date.now());
    rec.durations.compile = Date.now() - t;
    if (code !== 0) throw new YbError('YB_ERR_BUILD_FAILED', `the buildpack failed (exit code ${code})`);

    // OUT is writable inside the build container too: what the driver wrote there is read as plain files only.
    const result = parseResult(await readTenantFile(outDir, 'result.json', BUILD_OUTPUT));
    rec.buildpacks = result.buildpacks ?? [];
    rec.language = result.language;
    rec.languageVersion = result.languageVersion;
    rec.dependencies = result.dependencies;
    rec.processTypes = await this.processTypes(src, outDir, result.processTypes);

    // The language runtime (.heroku) goes into a shared runtime image, built once per distinct runtime; the app
    // image on top of it carries only the app, so warm deploys send and store little.
    const t2 = Date.now();
    mark('install', t2);
    emit('-----> Creating the run image');
    const base = await this.runtimeImage(work, join(src, '.heroku'), req.access?.incarnation ? `${req.app}\n${req.access.incarnation}` : null);
    await writeFile(join(work, 'Dockerfile'), renderRunDockerfile(base));
    rec.image = `yunbang-app/${req.app}:${rec.id}`;
    rec.imageId = await this.runtime.images.build(
      () => tarDir(work, ['Dockerfile', 'src']),
      { tag: rec.image, labels: {} }, // one LABEL step, the store's ownership mark; the tag names app and build
      () => undefined,
    );
    rec.durations.image = Date.now() - t2;
    emit(`       Image ${rec.imageId.slice(7, 19)} (${Math.round((Date.now() - t2) / 100) / 10} s)`);
  }

  /**
   * The runtime layer image for the slug's `.heroku` (moved out of the slug; may be absent); built only when missing.
   * `scope` (app and incarnation; null: none known) lets an unchanged runtime skip the content hash (issue #14).
   */
  private async runtimeImage(work: string, heroku: string, scope: string | null): Promise<string> {
    const stackId = await this.runtime.images.id(this.settings.stackImage);
    const ctx = join(work, 'runtime-ctx');
    await mkdir(ctx);
    // The build wrote .heroku: a link there would make the fingerprint (and the shared image) follow it out.
    const kind = await entryKind(heroku);
    if (kind === 'link' || kind === 'other')
      throw new YbError('YB_ERR_BUILD_FAILED', `the build left .heroku as ${kind === 'link' ? 'a symbolic link' : 'a file'}; it must be a directory`);
    if (kind === 'dir') await rename(heroku, join(ctx, 'runtime'));
    else await mkdir(join(ctx, 'runtime'));
    // The same listing as this app's last build: its verified image, if the engine still has it (docs/architecture.md §4.2).
    const listing = scope ? await runtimeListingKey(join(ctx, 'runtime'), stackId) : '';
    const known = scope ? this.runtimes.get(scope, listing) : undefined;
    if (known && (await this.runtime.images.exists(known))) return known;
    const tag = `yunbang-runtime:${await runtimeFingerprint(join(ctx, 'runtime'), stackId)}`;
    if (scope) this.runtimes.set(scope, listing, tag);
    if (await this.runtime.images.exists(tag)) return tag;
    await writeFile(join(ctx, 'Dockerfile'), renderRuntimeDockerfile(this.settings.stackImage));
    await this.runtime.images.build(
      () => tarDir(ctx, ['Dockerfile', 'runtime']),
      // Shared by every platform instance on the engine (content-addressed): no instance's clean-up may remove it
      // while another builds on it.
      { tag, labels: {}, shared: true },
      () => undefined,
    );
    return tag;
  }

  private async processTypes(src: string, outDir: string, fromResult?: Record<string, string>): Promise<Record<string, string>> {
    const procfile = await readTenantFile(src, 'Procfile', APP_SOURCE);
    if (procfile !== null) {
      const parsed = parseProcfile(procfile);
      if (parsed.errors.length) throw new YbError('YB_ERR_BUILD_FAILED', parsed.errors.join('; '));
      return parsed.processes;
    }
    if (fromResult && Object.keys(fromResult).length) return fromResult;
    const releaseYml = await readTenantFile(outDir, 'release.yml', BUILD_OUTPUT);
    return releaseYml === null ? {} : parseReleaseYaml(releaseYml);
  }
}

interface BuildResult {
  buildpacks?: string[];
  language?: string;
  languageVersion?: string;
  dependencies?: Record<string, string>;
  processTypes?: Record<string, string>;
}

/** The driver's result.json; its text is not echoed on failure (it is the build's, but says nothing useful). */
function parseResult(text: string | null): BuildResult {
  if (text === null) throw new YbError('YB_ERR_BUILD_FAILED', 'the build wrote no result.json');
  const bad = (cause?: unknown) => new YbError('YB_ERR_BUILD_FAILED', 'the build output result.json is not a JSON object', { cause });
  let r: unknown;
  try {
    r = JSON.parse(text);
  } catch (err) {
    throw bad(err);
  }
  if (!r || typeof r !== 'object' || Array.isArray(r)) throw bad();
  return r as BuildResult;
}
