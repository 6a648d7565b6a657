// Builds an app's source into a run image: buildpacks in the builder image (Heroku buildpack API) or the
// app's Dockerfile. Streams output line by line, records each build, keeps its log under the data dir.
// Knows nothing of releases or containers that serve traffic. Record types: build-record.ts; buildpack apps:
// buildpack-build.ts; Dockerfile apps: dockerfile-build.ts.
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Store } from '../store/store.js';
import type { Runtime } from '../runtime/runtime.js';
import { YbError } from '../shared/errors.js';
import { lineBatch } from '../shared/line-batch.js';
import type { RegistrySettings } from './registries.js';
import { Slots, type Place } from './slots.js';
import { EMPTY_MANIFEST } from '../release/app-json.js';
import { DEFAULT_PORT, type BuildRecord } from './build-record.js';
import { phaseClock, type Phases } from '../shared/phases.js';
import { dockerfileBuild, dockerfilePath } from './dockerfile-build.js';
import { readManifest } from './manifest.js';
import { extractTar, refuseEscapingLinks, type UnpackLimits } from './source.js';
import { APP_SOURCE, tenantFileExists } from './tenant-files.js';
import type { FetchLimits } from './buildpack-fetch.js';
import { BuildpackBuilder } from './buildpack-build.js';

export interface BuildSettings {
  dataDir: string;
  buildpacksDir: string;
  builderImage: string;
  stackImage: string;
  caBundle: string;
  timeoutMs: number;
  registries: RegistrySettings;
  /** Builds that run at once across apps. */
  concurrency?: number;
  /** Memory limit of a build container, in MiB. */
  memoryMiB?: number;
  /** CPUs of a build container; 0 or absent: no limit. */
  cpus?: number;
  /** Builder of Dockerfile apps (YB_DOCKERFILE_BUILDER). */
  dockerfileBuilder?: 'buildkit' | 'classic';
  /** Size and time limits of buildpacks fetched from a URL. */
  buildpackFetch?: FetchLimits;
  /** Called when a build ended, whatever its outcome (the build cache is pruned after builds). */
  afterBuild?: () => void;
  /** Largest size a source may unpack to, in MiB (YB_MAX_UNPACKED_MB). */
  maxUnpackedMiB?: number;
  /** Most files and directories a source may unpack to (YB_MAX_UNPACKED_FILES). */
  maxUnpackedFiles?: number;
  /** Where built images are pushed (YB_REGISTRY_PUSH); absent: they stay local. */
  registry?: { push(localRef: string, app: string, buildId: string, emit: (line: string) => void): Promise<string> };
}

export interface BuildRequest {
  app: string;
  source: Readable;
  sourceCommit?: string;
  config: Record<string, string>;
  user: string;
  buildpack?: string;
  /** The app's team: build slots are shared fairly between teams (slots.ts). */
  team?: string;
  /** Aborted when the pusher went away: a build still waiting for a slot leaves the queue. */
  signal?: AbortSignal;
  /** Images a Dockerfile build may use besides the platform's public ones (the app's team's), and the app's incarnation (its cache mounts). */
  access?: { ownsImage: (imageId: string) => Promise<boolean>; incarnation?: string };
}

const MAX_LINE = 8192;
const MAX_LOG = 32 * 1024 * 1024;

export function newBuildId(): string {
  return `${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
}

export class BuildService {
  readonly slots: Slots;
  /** Places of the builds waiting for a slot, by build id (shown live in their records, never stored). */
  private readonly places = new Map<string, Place>();
  /** Builds this process runs or queues, and when it started: an unfinished record of none of them was left by a stopped ybd. */
  private readonly live = new Set<string>();
  private readonly startedAt = Date.now();
  /** YB_BUILD_MEMORY in bytes, for build containers and classic Dockerfile builds. */
  private readonly memoryBytes: number | undefined;
  private readonly unpackLimits: UnpackLimits;
  private readonly buildpacks: BuildpackBuilder;

  constructor(
    private readonly store: Store,
    private readonly runtime: Runtime,
    private readonly settings: BuildSettings,
  ) {
    this.slots = new Slots(settings.concurrency ?? 2);
    this.memoryBytes = settings.memoryMiB ? settings.memoryMiB * 1024 * 1024 : undefined;
    this.unpackLimits = {
      maxBytes: (settings.maxUnpackedMiB ?? 1024) * 1024 * 1024,
      maxEntries: settings.maxUnpackedFiles ?? 200_000,
      bytesSetting: 'YB_MAX_UNPACKED_MB',
      entriesSetting: 'YB_MAX_UNPACKED_FILES',
    };
    this.buildpacks = new BuildpackBuilder(runtime, settings, this.memoryBytes);
  }

  logPath(app: string, id: string): string {
    return join(this.settings.dataDir, 'builds', app, `${id}.log`);
  }

  async get(app: string, id: string): Promise<BuildRecord | null> {
    if (!/^[a-z0-9]{1,40}$/.test(id)) return null;
    const rec = await this.store.get<BuildRecord>(this.store.keys.build(app, id));
    return rec && this.withPlace(rec);
  }

  /** Adds the phases after the build (release records, rollout) to its record, once its release is live. */
  async addPhases(app: string, id: string, more: Phases): Promise<void> {
    const key = this.store.keys.build(app, id);
    const rec = await this.store.get<BuildRecord>(key);
    if (!rec) return;
    await this.store.put(key, { ...rec, phases: { ...rec.phases, ...more } });
  }

  async list(app: string): Promise<BuildRecord[]> {
    return (await this.store.list<BuildRecord>(this.store.keys.buildsPrefix(app)))
      .map((e) => this.withPlace(e.value))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /**
   * A queued build's live place: counts only, so no tenant learns what other teams build. A record still queued or
   * building that no build of this process owns was left by a ybd that stopped (its push failed with it): it reads
   * as failed (docs/architecture.md §4.3).
   */
  private withPlace(rec: BuildRecord): BuildRecord {
    const unfinished = rec.status === 'queued' || rec.status === 'building';
    if (unfinished && !this.live.has(rec.id) && Date.parse(rec.createdAt) < this.startedAt)
      return { ...rec, status: 'failed', error: `ybd stopped while this build was ${rec.status}; push again` };
    const place = rec.status === 'queued' ? this.places.get(rec.id) : undefined;
    return place ? { ...rec, queue: { position: place.position, ahead: place.ahead, slots: place.slots } } : rec;
  }

  /** A local image to deploy as is: its id, web port (first EXPOSE, else 5000) and whether it has a HEALTHCHECK. */
  async describeImage(ref: string): Promise<{ id: string; port: number; healthcheck: boolean }> {
    // describe() refuses what is not a reference (a ".." segment would reach other engine API paths) as BAD_REQUEST.
    const info = await this.runtime.images.describe(ref);
    if (!info) {
      throw new YbError('YB_ERR_NOT_FOUND', `the image "${ref}" is not on this machine`, {
        hint: 'load it with "docker load -i FILE" on the host, or "yb images:import FILE"',
      });
    }
    return { id: info.id, port: info.exposedPort ?? DEFAULT_PORT, healthcheck: info.healthCommand !== null };
  }

  /**
   * Removes the tags this platform's builds gave `app` (`yunbang-app/<app>:<build>`) from an image; the engine
   * deletes the image with its last tag, and keeps it while another tag or a container still uses it. An image
   * without our instance label and such a tag was not built here for this app and is left alone (a label alone
   * can be forged by loading a crafted archive). Resolves to whether the image is gone from the engine.
   */
  async removeImage(imageId: string, app: string): Promise<boolean> {
    const info = await this.runtime.images.describe(imageId);
    if (!info) return true;
    if (!info.ours) return false;
    const tags = info.tags.filter((t) => t.startsWith(`yunbang-app/${app}:`));
    for (const tag of tags) await this.runtime.images.remove(tag);
    return !(await this.runtime.images.exists(imageId));
  }

  /** Runs a build to the end; resolves to the succeeded record or throws BUILD_FAILED (the record says why). */
  async build(req: BuildRequest, onLine: (line: string) => void): Promise<BuildRecord> {
    const id = newBuildId();
    const work = join(this.settings.dataDir, 'work', `${req.app}-${id}`);
    await mkdir(join(this.settings.dataDir, 'builds', req.app), { recursive: true });
    const logFile = createWriteStream(this.logPath(req.app, id));
    // Output limits: one line at most MAX_LINE characters; the kept log at most MAX_LOG bytes (the rest is still
    // streamed to the pusher, but noted as cut from the stored log).
    // The log file is written in batches (shared/line-batch.ts), not a write per line.
    let logged = 0;
    const logBatch = lineBatch((text) => logFile.write(text), 64 * 1024);
    const emit = (raw: string) => {
      const line = raw.length > MAX_LINE ? `${raw.slice(0, MAX_LINE)}… (line cut at ${MAX_LINE} characters)` : raw;
      if (logged < MAX_LOG) {
        logged += line.length + 1;
        logBatch.add(logged < MAX_LOG ? `${line}\n` : `${line}\n… (log cut at ${MAX_LOG / 1024 / 1024} MiB)\n`);
      }
      onLine(line);
    };
    const rec: BuildRecord = {
      id,
      app: req.app,
      status: 'queued',
      sourceCommit: req.sourceCommit,
      builder: 'buildpacks',
      buildpacks: [],
      processTypes: {},
      port: DEFAULT_PORT,
      manifest: EMPTY_MANIFEST,
      durations: {},
      createdBy: req.user,
      createdAt: new Date().toISOString(),
    };
    const key = this.store.keys.build(req.app, id);
    const phases: Phases = (rec.phases = {});
    const mark = phaseClock(phases);
    this.live.add(id);
    // A pusher that goes away mid-upload ends the unpack (a source stream that just stops would hold its slot).
    const gone = () => req.source.destroy(new YbError('YB_ERR_BUILD_FAILED', 'the pusher went away before its source was received'));
    req.signal?.addEventListener('abort', gone, { once: true });
    await this.store.put(key, rec);
    const release = await this.waitForSlot(rec, req, emit).catch(async (err: unknown) => {
      this.live.delete(id);
      req.signal?.removeEventListener('abort', gone);
      await this.settle(rec, key, err);
      logBatch.flush();
      await new Promise((r) => logFile.end(r));
      throw err;
    });
    const t0 = Date.now();
    mark('queue', t0);
    try {
      rec.status = 'building';
      await this.store.put(key, rec);
      const src = join(work, 'src');
      // Receiving ends with the sender's last byte; unpacking goes on with what is still buffered, and the link check.
      let received = 0;
      req.source.once('end', () => (received = Date.now()));
      await extractTar(req.source, src, this.unpackLimits);
      if (received) mark('receive', received);
      await refuseEscapingLinks(src);
      mark('unpack');
      rec.durations.unpack = Date.now() - t0;
      rec.manifest = await readManifest(src);
      const dockerfile = dockerfilePath(req.config);
      if (!req.buildpack && !req.config.BUILDPACK_URL && (await tenantFileExists(src, dockerfile, APP_SOURCE)))
        await dockerfileBuild(this.runtime, rec, work, dockerfile, req.config, emit, this.dockerfileAccess(req), {
          timeoutMs: this.settings.timeoutMs,
          classic: this.settings.dockerfileBuilder === 'classic',
          memoryBytes: this.memoryBytes,
          cpus: this.settings.cpus,
        });
      else await this.buildpacks.build(rec, req, work, emit, mark);
      mark('image');
      const tp = Date.now();
      if (this.settings.registry && rec.image) rec.registryImage = await this.settings.registry.push(rec.image, req.app, id, emit);
      if (rec.registryImage) {
        rec.durations.push = Date.now() - tp;
        mark('push');
      }
      rec.status = 'succeeded';
      return rec;
    } catch (err) {
      rec.status = 'failed';
      rec.error = err instanceof Error ? err.message : String(err);
      if (err instanceof YbError) throw err;
      throw new YbError('YB_ERR_BUILD_FAILED', `build failed: ${rec.error}`, { cause: err });
    } finally {
      rec.durations.total = Date.now() - t0;
      rec.finishedAt = new Date().toISOString();
      release();
      req.signal?.removeEventListener('abort', gone);
      await this.store.put(key, rec);
      this.live.delete(id);
      logBatch.flush();
      await new Promise((r) => logFile.end(r));
      await rm(work, { recursive: true, force: true });
      this.settings.afterBuild?.();
    }
  }

  /**
   * Waits for a build slot, telling the pusher where it stands whenever that changes ("queued behind 3 builds"); the
   * wait is recorded as durations.queued. Rejects when the pusher went away first (req.signal).
   */
  private async waitForSlot(rec: BuildRecord, req: BuildRequest, emit: (line: string) => void): Promise<() => void> {
    const t = Date.now();
    const onPlace = (place: Place) => {
      this.places.set(rec.id, place);
      const n = place.ahead;
      emit(`-----> Queued behind ${n} build${n === 1 ? '' : 's'} (${place.slots} build slot${place.slots === 1 ? '' : 's'}, YB_BUILD_CONCURRENCY)`);
    };
    try {
      const release = await this.slots.acquire({ team: req.team ?? req.app, signal: req.signal, onPlace });
      if (this.places.has(rec.id)) {
        rec.durations.queued = Date.now() - t;
        emit(`-----> Build slot free after ${(rec.durations.queued / 1000).toFixed(1)} s in the queue`);
      }
      return release;
    } finally {
      this.places.delete(rec.id);
    }
  }

  /** Records a build that never got a slot as failed, saying why. */
  private async settle(rec: BuildRecord, key: string, err: unknown): Promise<void> {
    rec.status = 'failed';
    rec.error = err instanceof Error ? err.message : String(err);
    rec.finishedAt = new Date().toISOString();
    await this.store.put(key, rec);
  }

  /** The platform's public images, for tenants to build on: the stack and the builder (both Debian packages and our tools, no app's code); not the yunbang-runtime images, which hold a buildpack's output for some app. */
  private dockerfileAccess(req: BuildRequest) {
    return {
      publicImages: [this.settings.stackImage, this.settings.builderImage],
      ownsImage: req.access?.ownsImage ?? (async () => false),
      incarnation: req.access?.incarnation,
    };
  }
}

export type { BuildRecord, BuildStatus } from './build-record.js';
