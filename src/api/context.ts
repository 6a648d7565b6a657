// What the API's route modules are given: the platform's components, wired once in src/control-plane/control-plane.ts.
import type { Store } from '../store/store.js';
import type { AppRecords } from '../release/app-records.js';
import type { Deployer } from '../deploy/pipeline.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { BuildService } from '../build/build-service.js';
import type { Runtime } from '../runtime/runtime.js';
import type { Logger } from '../shared/logger.js';
import type { LogService } from '../logs/log-service.js';
import type { CronRunner } from '../cron/cron-runner.js';
import type { Autoscaler } from '../autoscale/autoscaler.js';
import type { TemplateCatalogue } from '../templates/catalogue.js';
import type { ThirdPartyCatalogues } from '../templates/third-party.js';
import type { PlatformMetrics } from '../metrics/platform-metrics.js';
import type { MetricsSampler } from '../metrics/sampler.js';
import type { Services } from '../services/component.js';
import type { LoginThrottle } from '../auth/login-throttle.js';
import type { SyncLimits } from '../git/sync.js';

export interface ApiContext {
  store: Store;
  apps: AppRecords;
  deployer: Deployer;
  scheduler: Scheduler;
  builds: BuildService;
  runtime: Runtime;
  /** Backing services and app dependencies. */
  services: Services;
  log: Logger;
  dataDir: string;
  domain: string;
  /** Port of the router's HTTP listener, for the URLs shown to users. */
  routerPort: number;
  apiUrl: string;
  hookSecret: string;
  /** Time limit of a `yb run` process (YB_RUN_TIMEOUT), in ms; one hour when absent. */
  runTimeoutMs?: number;
  /** Bounds of fetching a remote repository for `yb git:sync` and webhooks (YB_GIT_SYNC_*, YB_OUTBOUND_PRIVATE). */
  gitSync?: SyncLimits;
  /** Largest webhook delivery body, in bytes (YB_WEBHOOK_MAX_KB). */
  webhookMaxBytes?: number;
  /** Largest git push or source upload, in bytes. */
  maxPushBytes?: number;
  /** Brake on password guessing at POST /login (a default one when absent). */
  loginThrottle?: LoginThrottle;
  /** Reverse proxies whose X-Forwarded-For is believed for the client IP (YB_API_TRUSTED_PROXIES). */
  trustedProxies?: string[];
  /** How long a client may take to send a request's head, and the whole request (YB_API_HEADERS_TIMEOUT, YB_API_REQUEST_TIMEOUT). */
  timeouts?: { headersMs: number; requestMs: number };
  /** ACME CA for `yb certs:auto` and renewals; certificates are renewed `renewDays` before they expire (default 30). */
  acme?: { directory: string; email: string; renewDays?: number };
  /** App logs and drains (absent when the API document is generated without a platform). */
  logs?: LogService;
  metrics?: { platform: PlatformMetrics; sampler: MetricsSampler };
  /** The app templates (templates/ of the repository; absent when the API document is generated without a platform). */
  templates?: TemplateCatalogue;
  /** Third-party template catalogues added by URL, kept in the data dir (absent when the API document is generated). */
  catalogues?: ThirdPartyCatalogues;
  /** app.json cron jobs (absent when the API document is generated without a platform). */
  cron?: CronRunner;
  /** Autoscaling policies and their evaluation (absent when the API document is generated without a platform). */
  autoscaler?: Autoscaler;
  /** Web console: hours a browser session lasts (YB_CONSOLE_SESSION_HOURS, 12 when absent) and the built console's folder. */
  consoleSessionHours?: number;
  consoleDir?: string;
  /** Seconds between looks for idle review apps (YB_REVIEW_APPS_SWEEP, docs/architecture.md §5.6); 0 turns them off. */
  reviewSweepSeconds?: number;
  /** Review apps one pipeline may have at once (YB_REVIEW_APPS_MAX, 20 when absent). */
  reviewAppsMax?: number;
  /** Largest source kept for a review app's deploy, in bytes (YB_MAX_UNPACKED_MB). */
  maxSourceBytes?: number;
  /** The etcd is the embedded one, this instance's alone: a backup may hold its whole snapshot (docs/architecture.md §9). */
  embeddedEtcd?: boolean;
}
