// The logs component as ybd wires it: the per-app store on disk, the hub, and its three sources (container
// output, router access log, platform events) plus the drains. `start` resumes every source where it stopped.
import { join } from 'node:path';
import type { Runtime } from '../runtime/runtime.js';
import type { Store } from '../store/store.js';
import type { Logger } from '../shared/logger.js';
import { AppLogStore } from './app-log-store.js';
import { LogHub } from './log-hub.js';
import { ContainerFollower } from './container-follower.js';
import { RouterTail } from './router-tail.js';
import { onPlatformEvent } from './platform-events.js';
import { DrainManager } from './drains/drain-manager.js';

export interface LogSettings {
  /** YB_LOG_DIR, or $YB_DATA_DIR/logs: apps/ (the stored streams) and the router's access log. */
  logDir: string;
  /** Lines kept per app (YB_LOG_LINES). */
  lines: number;
  /** Lines a drain buffers while its endpoint is down (YB_LOG_DRAIN_BUFFER). */
  drainBuffer: number;
  /** Drains may reach loopback and private-network hosts (YB_OUTBOUND_PRIVATE). */
  outboundPrivate?: boolean;
  /** How often the container follower re-lists processes besides following the runtime's events (ms; default 3 s). */
  followerPollMs?: number;
}

export class LogService {
  readonly hub: LogHub;
  readonly drains: DrainManager;
  private readonly follower: ContainerFollower;
  private readonly router: RouterTail;
  private unhook: (() => void) | undefined;

  constructor(
    settings: LogSettings,
    store: Store,
    runtime: Runtime,
    private readonly log: Logger,
  ) {
    const dir = settings.logDir;
    this.hub = new LogHub(new AppLogStore(join(dir, 'apps'), settings.lines));
    this.follower = new ContainerFollower(runtime, this.hub, log, settings.followerPollMs);
    this.router = new RouterTail(join(dir, 'router.log'), join(dir, 'router.offset'), this.hub, log);
    this.drains = new DrainManager(store, this.hub, settings.drainBuffer, settings.outboundPrivate === true);
  }

  /** Loads the stored lines, connects the drains, then resumes following containers and the router log. */
  async start(apps: string[]): Promise<void> {
    this.hub.store.load((_app, l) => {
      this.follower.seen(l);
      this.router.seen(l);
    });
    this.unhook = onPlatformEvent((app, proc, message) => this.hub.append(app, [{ t: new Date().toISOString(), s: 'yb', p: proc, m: message }]));
    await this.drains.start(apps);
    this.router.start();
    await this.follower.start().catch((err: unknown) => this.log.warn({ err }, 'following container output failed to start'));
  }

  /** An app's stored lines and drains follow it to its new name (apps:rename). */
  async renameApp(from: string, to: string): Promise<void> {
    this.hub.store.rename(from, to);
    await this.drains.rename(from, to);
  }

  /** Drops an app's stored lines and stops its drains (app destroy). */
  forgetApp(app: string): void {
    this.drains.forget(app);
    this.hub.store.remove(app);
  }

  stop(): void {
    this.unhook?.();
    this.follower.stop();
    this.router.stop();
    this.drains.stop();
  }
}
