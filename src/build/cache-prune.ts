// The engine's build cache (BuildKit) grows with every build and the engine keeps it until told otherwise. After
// builds (a few seconds later, so the prune does not compete with the rollout that follows a build) and at start,
// the least recently used cache beyond YB_BUILD_CACHE_MB is pruned. One prune at a time; builds that finish
// meanwhile ask for one more.
import type { ImageStore } from '../runtime/runtime.js';
import type { Logger } from '../shared/logger.js';

const AFTER_BUILD_MS = 5000;

export class BuildCachePruner {
  private running = false;
  private again = false;
  private timer: NodeJS.Timeout | undefined;

  /** `keepBytes` 0: never prunes. */
  constructor(
    private readonly images: Pick<ImageStore, 'pruneBuildCache'>,
    private readonly keepBytes: number,
    private readonly log: Logger,
    private readonly delayMs = AFTER_BUILD_MS,
  ) {}

  /** A build ended: prune after the delay (builds ending within it share one prune). */
  afterBuild(): void {
    if (!this.keepBytes || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.now();
    }, this.delayMs);
    this.timer.unref();
  }

  /** Prunes now, or once more after the prune in flight. */
  now(): void {
    if (!this.keepBytes) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    this.images
      .pruneBuildCache(this.keepBytes)
      .then(
        (r) =>
          r.reclaimedBytes > 0 &&
          this.log.info(
            { reclaimedMiB: Math.round(r.reclaimedBytes / 1024 / 1024), records: r.records, keepMiB: Math.round(this.keepBytes / 1024 / 1024) },
            'build cache pruned',
          ),
        (err: unknown) => this.log.warn({ err }, 'build cache pruning failed; tried again after the next build'),
      )
      .finally(() => {
        this.running = false;
        if (this.again) {
          this.again = false;
          this.now();
        }
      });
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
