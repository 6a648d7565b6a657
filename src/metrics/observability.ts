// Starts the logs and metrics components for ybd: the log service (store, sources, drains), the platform
// metrics and their sampler, connected to platform events. One call in src/control-plane/control-plane.ts; `stop` ends them.
import type { PlatformConfig } from '../config/load.js';
import { formatAddr } from '../config/load.js';
import type { Store } from '../store/store.js';
import type { Runtime } from '../runtime/runtime.js';
import type { AppRecords } from '../release/app-records.js';
import type { Logger } from '../shared/logger.js';
import { LogService } from '../logs/log-service.js';
import { onPlatformEvent } from '../logs/platform-events.js';
import { PlatformMetrics } from './platform-metrics.js';
import { MetricsSampler } from './sampler.js';

export interface Observability {
  logs: LogService;
  metrics: { platform: PlatformMetrics; sampler: MetricsSampler };
  stop(): void;
}

export async function startObservability(
  cfg: PlatformConfig,
  dataDir: string,
  logDir: string,
  store: Store,
  runtime: Runtime,
  apps: AppRecords,
  log: Logger,
): Promise<Observability> {
  const logs = new LogService(
    {
      logDir,
      lines: Math.max(1, cfg.logLines),
      drainBuffer: cfg.logDrainBuffer,
      outboundPrivate: cfg.outboundPrivate,
      // The Docker backend's events are complete, a gap in them announced (onResync): re-listing every process every
      // 3 s (1.2 MB from the engine at a thousand apps) is only a safety net there. Kubernetes reopens its watch
      // from a fresh list without events for it: its re-list stays frequent.
      followerPollMs: cfg.runtime === 'docker' ? 30_000 : 3000,
    },
    store,
    runtime,
    log.child({ component: 'logs' }),
  );
  const platform = new PlatformMetrics();
  const offEvents = onPlatformEvent((app, _proc, _msg, meta) => meta.deploy && platform.onDeployEvent(app, meta.deploy));
  const offLines = logs.hub.onLines((_app, lines) => {
    for (const l of lines) platform.logLines.inc({ source: l.s });
  });
  await logs.start((await apps.listApps()).map((a) => a.name));
  const sampler = new MetricsSampler(
    { dataDir, routerAdminUrl: `http://${formatAddr(cfg.routerAdminAddr)}`, intervalMs: Math.max(1, cfg.metricsInterval) * 1000 },
    store,
    runtime,
    platform,
    log.child({ component: 'metrics' }),
  );
  sampler.start();
  return {
    logs,
    metrics: { platform, sampler },
    stop() {
      offEvents();
      offLines();
      sampler.stop();
      logs.stop();
    },
  };
}
