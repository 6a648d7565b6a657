// The control plane's Prometheus metrics (prom-client, own registry): build and deploy durations, queue
// lengths, per-app container CPU/memory/restarts, log lines. Values are set by the sampler and by platform
// events; a scrape only renders them.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const DURATION_BUCKETS = [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800];

export class PlatformMetrics {
  readonly registry = new Registry();
  readonly buildDuration = new Histogram({
    name: 'yb_build_duration_seconds',
    help: 'Build durations, by outcome.',
    labelNames: ['outcome'],
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  readonly deployDuration = new Histogram({
    name: 'yb_deploy_duration_seconds',
    help: 'Deploy durations (release phase, rollout, switch of traffic), by outcome.',
    labelNames: ['outcome'],
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  readonly deploysInProgress = new Gauge({ name: 'yb_deploys_in_progress', help: 'Deploys rolling out now.', registers: [this.registry] });
  readonly buildQueue = new Gauge({
    name: 'yb_build_queue_length',
    help: 'Builds waiting (pending) or running (building).',
    labelNames: ['status'],
    registers: [this.registry],
  });
  readonly cpu = new Gauge({
    name: 'yb_app_cpu_cores',
    help: 'CPU used by the processes of an app, in cores, by process type (sampled).',
    labelNames: ['app', 'process'],
    registers: [this.registry],
  });
  readonly memory = new Gauge({
    name: 'yb_app_memory_bytes',
    help: 'Memory used by the processes of an app, by process type (sampled).',
    labelNames: ['app', 'process'],
    registers: [this.registry],
  });
  readonly restarts = new Gauge({
    name: 'yb_app_restarts',
    help: 'Restarts of the running processes of an app after crashes, by process type.',
    labelNames: ['app', 'process'],
    registers: [this.registry],
  });
  readonly processes = new Gauge({
    name: 'yb_app_processes',
    help: 'Running processes of an app, by process type.',
    labelNames: ['app', 'process'],
    registers: [this.registry],
  });
  readonly logLines = new Counter({ name: 'yb_log_lines_total', help: 'Log lines collected, by source.', labelNames: ['source'], registers: [this.registry] });
  readonly sampleDuration = new Gauge({ name: 'yb_metrics_sample_seconds', help: 'Time the last metrics sample took.', registers: [this.registry] });
  private readonly deployStarts = new Map<string, number>();

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'yb_controlplane_' });
  }

  /** A platform event with deploy metadata (see logs/platform-events.ts). */
  onDeployEvent(app: string, phase: 'started' | 'succeeded' | 'failed'): void {
    if (phase === 'started') {
      if (!this.deployStarts.has(app)) this.deploysInProgress.inc();
      this.deployStarts.set(app, Date.now());
      return;
    }
    const started = this.deployStarts.get(app);
    if (started === undefined) return;
    this.deployStarts.delete(app);
    this.deploysInProgress.dec();
    this.deployDuration.observe({ outcome: phase }, (Date.now() - started) / 1000);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
