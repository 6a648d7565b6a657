// metrics: the app's last hour — requests, error rate, latency, CPU and memory per process type.
import type { Command } from 'commander';
import { get } from '../client.js';
import { requireApp, enc } from '../app-arg.js';
import { print, printJson, table, c } from '../output.js';

interface TypeSummary {
  processes: number;
  restarts: number;
  cpuAvg: number;
  cpuMax: number;
  memoryAvgBytes: number;
  memoryMaxBytes: number;
}
interface Summary {
  app: string;
  from: string;
  to: string;
  requests: number;
  byClass: Record<string, number>;
  errorRate: number;
  p50Ms: number | null;
  p95Ms: number | null;
  meanMs: number | null;
  processTypes: Record<string, TypeSummary>;
  samples: number;
}

export function bytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(2)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(0)} KiB`;
  return `${n} B`;
}

const ms = (v: number | null) => (v === null ? '-' : `${v} ms`);
const pct = (v: number) => `${(v * 100).toFixed(v > 0 && v < 0.001 ? 3 : 1)}%`;
const cores = (v: number) => `${(v * 100).toFixed(1)}%`;

export function registerMetrics(program: Command): void {
  program
    .command('metrics')
    .description("the app's last hour: requests, error rate, p50/p95 latency, CPU and memory per process type")
    .option('-a, --app <app>')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      [
        '',
        "Requests and latency come from the router's counters; CPU (100% = one core) and memory are sampled from",
        "Docker every YB_METRICS_INTERVAL seconds. Prometheus: GET /metrics on the API (admin token) and on the router's admin port.",
        '',
        'Examples:',
        '  yb metrics -a hello',
        '  yb metrics -a hello --json',
      ].join('\n'),
    )
    .action(async (opts: { app?: string; json?: boolean }) => {
      const app = requireApp(opts.app);
      const s = await get<Summary>(`/apps/${enc(app)}/metrics`);
      if (opts.json) return printJson(s);
      const minutes = Math.max(0, Math.round((Date.parse(s.to) - Date.parse(s.from)) / 60000));
      print(c.bold(`=== ${app} Metrics, last ${minutes >= 60 ? 'hour' : `${minutes} min`}`));
      table(
        ['REQUESTS', 'ERRORS (5xx)', '4xx', 'P50', 'P95', 'MEAN'],
        [[String(s.requests), pct(s.errorRate), String(s.byClass['4xx'] ?? 0), ms(s.p50Ms), ms(s.p95Ms), ms(s.meanMs)]],
      );
      const types = Object.entries(s.processTypes);
      print();
      if (types.length === 0) return print(c.dim('no process samples yet'));
      table(
        ['TYPE', 'PROCESSES', 'CPU AVG', 'CPU MAX', 'MEMORY AVG', 'MEMORY MAX', 'RESTARTS'],
        types.map(([t, u]) => [t, String(u.processes), cores(u.cpuAvg), cores(u.cpuMax), bytes(u.memoryAvgBytes), bytes(u.memoryMaxBytes), String(u.restarts)]),
      );
    });
}
