// The platform's image registry as the rest of ybd sees it: push a built image (the release keeps its digest
// reference), pull a release's image back by digest when the engine lost it, delete manifests retention dropped,
// and garbage-collect the embedded registry. Pushes and pulls go through the Docker engine; deletes through the
// registry's HTTP API. Garbage collection waits until no push or pull is in flight and holds new ones meanwhile.
import type { ImageStore } from '../runtime/runtime.js';
import type { Logger } from '../shared/logger.js';
import { YbError } from '../shared/errors.js';
import { digestRef, parseDigestRef, pushTag, registryHost } from './registry-refs.js';
import type { EmbeddedRegistry } from './embedded-registry.js';

export class ImageRegistry {
  /** host:port the engine pushes to and pulls from. */
  readonly host: string;
  private inFlight = 0;
  private gcWanted = false;
  private gc: Promise<void> | null = null;

  constructor(
    private readonly images: ImageStore,
    private readonly instance: string,
    readonly url: string,
    private readonly embedded: EmbeddedRegistry | null,
    private readonly log: Logger,
  ) {
    this.host = registryHost(url);
  }

  /**
   * Runs a push, pull or deletion; never beside garbage collection. When the last one in flight ends and a deletion
   * asked for it, the embedded registry is garbage-collected (an external one's collection is its operator's).
   */
  private async use<T>(fn: () => Promise<T>): Promise<T> {
    while (this.gc) await this.gc;
    this.inFlight++;
    try {
      return await fn();
    } finally {
      this.inFlight--;
      if (this.inFlight === 0 && this.gcWanted) void this.collectGarbage();
    }
  }

  /**
   * Pushes the local image `localRef` as `<host>/<instance>/<app>:<buildId>` and resolves to its digest reference;
   * the registry tag is removed from the engine again (the platform tag is what owns and removes the local image).
   */
  async push(localRef: string, app: string, buildId: string, emit: (line: string) => void): Promise<string> {
    const { repo, ref } = pushTag(this.host, this.instance, app, buildId);
    return this.use(async () => {
      const t0 = Date.now();
      emit(`-----> Pushing to ${ref}`);
      await this.images.tag(localRef, ref);
      const pushed = new Set<string>();
      const existed = new Set<string>();
      let digest = '';
      try {
        digest = await this.images.push(ref, (line) => {
          const [layer, status] = [line.slice(0, line.indexOf(': ')), line.slice(line.indexOf(': ') + 2)];
          if (status === 'Pushed') pushed.add(layer);
          else if (status === 'Layer already exists' || status.startsWith('Mounted from')) existed.add(layer);
        });
      } catch (err) {
        throw new YbError('YB_ERR_BUILD_FAILED', `pushing the image to the registry at ${this.host} failed: ${(err as Error).message}`, { cause: err });
      } finally {
        await this.images.remove(ref);
      }
      if (!digest) throw new YbError('YB_ERR_BUILD_FAILED', `the registry at ${this.host} took the image but the engine reported no digest`);
      emit(
        `       Pushed ${pushed.size} layer${pushed.size === 1 ? '' : 's'} (${existed.size} already there) in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${digest.slice(0, 19)}…`,
      );
      return digestRef(repo, digest);
    });
  }

  /** Pulls a release's image by its digest reference and tags it `tag` again (the platform tag marks it as the app's). */
  async pull(ref: string, tag: string | undefined, emit: (line: string) => void): Promise<void> {
    if (!parseDigestRef(ref)) throw new YbError('YB_ERR_INTERNAL', `"${ref.slice(0, 120)}" is not a registry digest reference`);
    await this.use(async () => {
      const t0 = Date.now();
      emit(`Pulling ${ref.slice(0, ref.indexOf('@') + 20)}… from the registry (the local image is gone)`);
      try {
        await this.images.pull(ref, () => undefined);
      } catch (err) {
        throw new YbError('YB_ERR_RELEASE_NOT_FOUND', `the image is gone here and pulling ${ref.slice(0, 120)} failed: ${(err as Error).message}`, {
          cause: err,
        });
      }
      if (tag) {
        await this.images.tag(ref, tag);
        // The digest reference of the pull would keep the image when retention removes its platform tag.
        await this.images.remove(ref);
      }
      emit(`Pulled in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    });
  }

  /** Deletes manifests (release retention, app destroy); one already gone is fine. When any went, asks for garbage collection. */
  async deleteManifests(list: Array<{ name: string; digest: string }>): Promise<number> {
    if (list.length === 0) return 0;
    // Through use(): never while garbage collection has the registry stopped; the collection follows once idle.
    return this.use(() => this.deleteEach(list));
  }

  private async deleteEach(list: Array<{ name: string; digest: string }>): Promise<number> {
    let deleted = 0;
    for (const m of list) {
      const res = await fetch(`${this.url}/v2/${m.name}/manifests/${m.digest}`, { method: 'DELETE', signal: AbortSignal.timeout(30_000) });
      if (res.status === 404) continue;
      if (!res.ok) {
        throw new YbError(
          'YB_ERR_INTERNAL',
          `the registry at ${this.host} refused to delete ${m.name}@${m.digest.slice(0, 19)}… (HTTP ${res.status}); is deletion enabled in its config?`,
        );
      }
      deleted++;
      this.log.info({ name: m.name, digest: m.digest }, 'registry manifest deleted');
    }
    if (deleted && this.embedded) this.gcWanted = true;
    return deleted;
  }

  private collectGarbage(): Promise<void> {
    if (this.gc || !this.embedded) return this.gc ?? Promise.resolve();
    this.gcWanted = false;
    const embedded = this.embedded;
    this.gc = (async () => {
      const t0 = Date.now();
      try {
        await embedded.collectGarbage();
        this.log.info({ ms: Date.now() - t0 }, 'registry garbage collected');
      } catch (err) {
        this.log.warn({ err }, 'registry garbage collection failed; retrying after the next deletion');
      } finally {
        this.gc = null;
      }
    })();
    return this.gc;
  }

  /** Waits for a garbage collection in progress (stopping ybd). */
  async settle(): Promise<void> {
    while (this.gc) await this.gc;
  }
}
