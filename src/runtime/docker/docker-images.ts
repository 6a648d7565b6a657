// The Docker backend's image store (runtime.ts `ImageStore`): images on the engine, its builders (BuildKit and
// the classic one), its build cache, and pushes to and pulls from a registry through the engine.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { LineSplitter } from '../../shared/line-splitter.js';
import { YbError } from '../../shared/errors.js';
import type { BuildOptions, ImageInfo, ImageStore } from '../runtime.js';
import { BuildkitProgress } from './buildkit-progress.js';
import type { DockerEngine } from './engine.js';
import { LABEL_BUILT_BY, LABEL_INSTANCE } from '../workload-labels.js';

/** The engine's answer when a build cache record outlived its layer (see build). */
const LOST_LAYER = /\blayer does not exist\b/;

interface ProgressEvent {
  status?: string;
  id?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { Tag?: string; Digest?: string; Size?: number };
}

/** The lowest EXPOSEd TCP port of an image config (`{"8000/tcp": {}}`), or undefined. Pure. */
export function exposedPort(exposed: Record<string, unknown> | undefined | null): number | undefined {
  const ports = Object.keys(exposed ?? {})
    .map((p) => /^(\d+)\/tcp$/.exec(p))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  return ports[0];
}

/** The command a HEALTHCHECK runs (["CMD", …] as is, ["CMD-SHELL", s] through /bin/sh); null for none. Pure. */
export function healthCommand(test: string[] | undefined): string[] | null {
  const [kind, ...rest] = test ?? [];
  if (kind === 'CMD' && rest.length) return rest;
  if (kind === 'CMD-SHELL' && rest.length) return ['/bin/sh', '-c', rest.join(' ')];
  return null;
}

/** Lines of the engine's load answer: the tags and ids it loaded, or its error. Pure. */
export function loadResult(text: string): { loaded: string[]; error?: string } {
  return { loaded: [...text.matchAll(/Loaded image(?: ID)?: ([^\\"\n]+)/g)].map((m) => m[1]!.trim()), error: /"error":"([^"]+)"/.exec(text)?.[1] };
}

/** Whether `ref` can go into an engine API path (segments like ".." would reach other paths). Pure. */
export function isImageRef(ref: string): boolean {
  return /^[a-z0-9][a-z0-9._/:@-]{0,254}$/i.test(ref) && !ref.split('/').some((s) => s === '' || s === '.' || s === '..');
}

export class DockerImages implements ImageStore {
  constructor(
    private readonly engine: DockerEngine,
    private readonly instance: string,
  ) {}

  async describe(ref: string): Promise<ImageInfo | null> {
    if (!isImageRef(ref)) throw new YbError('YB_ERR_BAD_REQUEST', `"${ref.slice(0, 80)}" is not an image reference`);
    const info = await this.engine.tolerate(() => this.engine.docker.getImage(ref).inspect(), [404], null);
    if (!info) return null;
    const config = info.Config as {
      Healthcheck?: { Test?: string[] };
      OnBuild?: string[] | null;
      Labels?: Record<string, string> | null;
      ExposedPorts?: Record<string, unknown>;
    };
    const labels = config.Labels ?? {};
    return {
      id: info.Id,
      tags: info.RepoTags ?? [],
      labels,
      ours: labels[LABEL_INSTANCE] === this.instance,
      exposedPort: exposedPort(config.ExposedPorts),
      healthCommand: healthCommand(config.Healthcheck?.Test),
      onBuild: config.OnBuild ?? [],
    };
  }

  async exists(ref: string): Promise<boolean> {
    return this.engine.tolerate(
      () =>
        this.engine.docker
          .getImage(ref)
          .inspect()
          .then(() => true),
      [404],
      false,
    );
  }

  async id(ref: string): Promise<string> {
    return (await this.engine.call(() => this.engine.docker.getImage(ref).inspect())).Id;
  }

  async tag(ref: string, target: string): Promise<void> {
    const colon = target.lastIndexOf(':');
    const [repo, tag] = colon > target.lastIndexOf('/') ? [target.slice(0, colon), target.slice(colon + 1)] : [target, 'latest'];
    await this.engine.call(() => this.engine.docker.getImage(ref).tag({ repo, tag }) as unknown as Promise<unknown>);
  }

  async remove(ref: string): Promise<void> {
    await this.engine.tolerate(() => this.engine.docker.getImage(ref).remove({ force: false }), [404, 409], undefined);
  }

  async load(archive: Readable): Promise<string[]> {
    const stream = (await this.engine.call(() => this.engine.docker.loadImage(archive))) as Readable;
    let text = '';
    for await (const chunk of stream) text += chunk;
    const { loaded, error } = loadResult(text);
    if (error || loaded.length === 0) throw new YbError('YB_ERR_BAD_REQUEST', `the archive could not be loaded: ${error ?? 'no image in it'}`);
    return loaded;
  }

  async pruneBuildCache(keepBytes: number): Promise<{ reclaimedBytes: number; records: number }> {
    // keepBytes 0: all of it (every kind of record that no build is using).
    const options = keepBytes > 0 ? { 'keep-storage': keepBytes } : { all: true };
    const dial = () =>
      new Promise<{ SpaceReclaimed?: number; CachesDeleted?: string[] | null }>((resolve, reject) =>
        this.engine.docker.modem.dial({ path: '/build/prune?', method: 'POST', options, statusCodes: { 200: true, 500: 'server error' } }, (err, data) =>
          err ? reject(err) : resolve(data as { SpaceReclaimed?: number; CachesDeleted?: string[] | null }),
        ),
      );
    const res = await this.engine.call(dial);
    return { reclaimedBytes: res.SpaceReclaimed ?? 0, records: res.CachesDeleted?.length ?? 0 };
  }

  async push(ref: string, onProgress: (line: string) => void): Promise<string> {
    const at = ref.lastIndexOf(':');
    const stream = await this.engine.call(() => this.engine.docker.getImage(ref.slice(0, at)).push({ tag: ref.slice(at + 1), authconfig: {} as never }));
    let digest = '';
    await this.follow(stream as NodeJS.ReadableStream, (e) => {
      if (e.aux?.Digest) digest = e.aux.Digest;
      if (e.id && e.status) onProgress(`${e.id}: ${e.status}`);
    });
    return digest;
  }

  async pull(ref: string, onProgress: (line: string) => void): Promise<void> {
    const stream = await this.engine.call(() => this.engine.docker.pull(ref, { authconfig: {} as never }));
    await this.follow(stream as NodeJS.ReadableStream, (e) => {
      if (e.id && e.status) onProgress(`${e.id}: ${e.status}`);
    });
  }

  /** Streams an engine push/pull to its end; rejects with the engine's error line. */
  private follow(stream: NodeJS.ReadableStream, onEvent: (e: ProgressEvent) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      this.engine.docker.modem.followProgress(
        stream,
        (err: Error | null) => (err ? reject(err) : resolve()),
        (e: ProgressEvent) => {
          if (e.error) reject(new Error(e.errorDetail?.message ?? e.error));
          else onEvent(e);
        },
      );
    });
  }

  /**
   * Builds an image from a tar build context with the engine's BuildKit builder (API `version=2`: no intermediate
   * container per instruction, so metadata steps cost nothing and stages build in parallel); its progress arrives as
   * BuildKit traces, shown as lines (buildkit-progress.ts). `classic`: the engine's older builder (kept for the
   * service images, whose recipes install Debian packages and are built once per recipe). `context` makes the tar
   * build context (called again for a second attempt). Resolves to the image id; rejects with the engine's error
   * message.
   *
   * The engine (20.10, BuildKit over its graph driver) can keep a build cache record whose layer it has deleted;
   * every build that reuses that step then fails at "exporting to image" with "layer does not exist", on and on,
   * until the build cache is pruned. When a build fails so, the cache is pruned once and the build runs again.
   */
  async build(context: () => Readable, opts: BuildOptions, onLine: (line: string) => void): Promise<string> {
    const labels = { ...opts.labels, [opts.shared ? LABEL_BUILT_BY : LABEL_INSTANCE]: this.instance };
    const query = new URLSearchParams({ t: opts.tag, labels: JSON.stringify(labels), ...(opts.classic ? { rm: '1', forcerm: '1' } : { version: '2' }) });
    if (opts.buildargs) query.set('buildargs', JSON.stringify(opts.buildargs));
    if (opts.dockerfile) query.set('dockerfile', opts.dockerfile);
    // The classic builder runs each RUN step in a container with these limits; BuildKit ignores them.
    if (opts.classic && opts.memoryBytes) query.set('memory', String(opts.memoryBytes));
    if (opts.classic && opts.cpus) {
      query.set('cpuperiod', '100000');
      query.set('cpuquota', String(Math.round(opts.cpus * 100000)));
    }
    try {
      return await this.post(query, context(), onLine, opts.tag, opts.timeoutMs);
    } catch (err) {
      if (opts.classic || !LOST_LAYER.test((err as Error).message)) throw err;
      onLine("The engine's build cache names a layer the engine no longer has (a Docker engine fault); clearing the build cache and building again");
      await this.pruneBuildCache(0);
      return this.post(query, context(), onLine, opts.tag, opts.timeoutMs);
    }
  }

  /**
   * POST /build with `query` and `body` as the context; follows its output to the end. Past `timeoutMs` the request
   * is cut, which makes the engine cancel the build.
   */
  private async post(query: URLSearchParams, body: Readable, onLine: (line: string) => void, tag: string, timeoutMs?: number): Promise<string> {
    const modem = this.engine.docker.modem as unknown as { socketPath?: string; host?: string; port?: number };
    let cut: NodeJS.Timeout | undefined;
    let timedOut: Error | undefined;
    try {
      const id = await this.followBuild(
        await this.engine.call(
          () =>
            new Promise<IncomingMessage>((resolve, reject) => {
              const target = modem.socketPath ? { socketPath: modem.socketPath } : { host: modem.host, port: modem.port };
              const req = httpRequest({ ...target, path: `/build?${query}`, method: 'POST', headers: { 'content-type': 'application/x-tar' } }, resolve);
              req.on('error', reject);
              body.on('error', (err) => req.destroy(err));
              body.pipe(req);
              if (timeoutMs)
                cut = setTimeout(
                  () => req.destroy((timedOut = new Error(`the build took longer than ${Math.round(timeoutMs / 1000)} s and was stopped`))),
                  timeoutMs,
                );
            }),
        ),
        onLine,
        tag,
      );
      if (timedOut) throw timedOut;
      return id;
    } catch (err) {
      throw timedOut ?? err;
    } finally {
      clearTimeout(cut);
    }
  }

  private async followBuild(res: IncomingMessage, onLine: (line: string) => void, tag: string): Promise<string> {
    if (res.statusCode !== 200) {
      let text = '';
      for await (const chunk of res) text += chunk;
      let message = text.trim() || `HTTP ${res.statusCode}`;
      try {
        message = (JSON.parse(text) as { message?: string }).message?.trim() || message;
      } catch {
        // not JSON: the text itself
      }
      throw new Error(message);
    }
    const progress = new BuildkitProgress(onLine);
    let built: string | undefined;
    let failed: string | undefined;
    // The engine's JSON events carry build output; the splitter's bound (a few MiB: BuildKit traces are large but
    // chunked) keeps a newline-free stream from growing without limit, and a cut event is skipped.
    const splitter = new LineSplitter(
      (line) => {
        if (!line.trim()) return;
        let event: { id?: string; aux?: unknown; stream?: string; status?: string; error?: string };
        try {
          event = JSON.parse(line) as typeof event;
        } catch {
          return; // an event cut at the bound: not JSON any more
        }
        if (event.error) failed = event.error.trim();
        else if (event.id === 'moby.buildkit.trace' && typeof event.aux === 'string') progress.trace(event.aux);
        else if (event.id === 'moby.image.id') built = (event.aux as { ID?: string } | undefined)?.ID;
        else for (const l of (event.stream ?? (event.status ? `${event.status}\n` : '')).split('\n')) if (l.trim() !== '') onLine(l.replace(/\r/g, ''));
      },
      8 * 1024 * 1024,
    );
    for await (const chunk of res) splitter.push(chunk as Buffer);
    splitter.end();
    if (failed) throw new Error(failed);
    return built ?? (await this.id(tag));
  }
}
