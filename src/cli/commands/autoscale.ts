// autoscale, autoscale:off: autoscaling of an app's process types between --min and --max processes for a p95
// latency or a request rate per process, measured by the router (docs/architecture.md §5.5). A `ps:scale` of the
// type's quantity turns its autoscaling off.
import type { Command } from 'commander';
import { request, get, CliError } from '../client.js';
import { requireApp, enc } from '../app-arg.js';
import { print, printJson, table } from '../output.js';

interface Metric {
  name: 'p95Ms' | 'rps';
  value: number | null;
  target: number;
  requests: number;
  windowS: number;
}
interface Decision {
  at: string;
  kind: string;
  reason: string;
  message: string;
}
interface AutoscaleView {
  type: string;
  min: number;
  max: number;
  p95Ms?: number;
  rps?: number;
  quantity: number;
  current: Metric;
  last: Decision | null;
  lastRecorded: Decision | null;
}

const EXAMPLES = `
Examples:
  yb autoscale -a hello                                   # policies, current metric, last decision
  yb autoscale web -a hello --min 1 --max 6 --p95-ms 300  # keep the p95 latency under 300 ms
  yb autoscale web -a hello --min 2 --max 10 --rps 50     # about 50 requests/s per process
  yb autoscale:off web -a hello`;

/** A number option, checked here so a typo fails before anything changes. */
function num(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new CliError(`${flag} must be a number, not "${v.slice(0, 20)}"`, 2);
  return n;
}

const target = (v: AutoscaleView) => (v.p95Ms !== undefined ? `p95 ≤ ${v.p95Ms} ms` : `${v.rps} req/s per process`);
const now = (m: Metric) => (m.name === 'p95Ms' ? (m.value === null ? 'no requests' : `p95 ${m.value} ms`) : `${(m.value ?? 0).toFixed(1)} req/s per process`);

export function registerAutoscale(program: Command): void {
  program
    .command('autoscale')
    .argument('[type]', 'process type to set a policy for (with --min, --max and --p95-ms or --rps)')
    .description("show the app's autoscaling, or autoscale a process type between --min and --max processes")
    .option('-a, --app <app>')
    .option('--min <n>', 'fewest processes (at least 1)')
    .option('--max <n>', 'most processes (at most 50)')
    .option('--p95-ms <ms>', 'keep the p95 latency through the router below this many milliseconds')
    .option('--rps <n>', 'target requests per second per process')
    .option('--json', 'print JSON')
    .addHelpText('after', EXAMPLES)
    .action(async (type: string | undefined, opts: { app?: string; min?: string; max?: string; p95Ms?: string; rps?: string; json?: boolean }) => {
      const app = requireApp(opts.app);
      const setting = opts.min !== undefined || opts.max !== undefined || opts.p95Ms !== undefined || opts.rps !== undefined;
      if (type !== undefined || setting) {
        if (type === undefined) throw new CliError('name the process type to autoscale, e.g. yb autoscale web --min 1 --max 4 --p95-ms 300', 2);
        if (opts.min === undefined || opts.max === undefined) throw new CliError('give both --min and --max', 2);
        const body = { min: num('--min', opts.min), max: num('--max', opts.max), p95Ms: num('--p95-ms', opts.p95Ms), rps: num('--rps', opts.rps) };
        const v = (await request<AutoscaleView>('PUT', `/apps/${enc(app)}/autoscale/${enc(type)}`, { body })).data;
        if (opts.json) return printJson(v);
        return print(`Autoscaling ${v.type} of ${app} between ${v.min} and ${v.max} processes for ${target(v)} (now ${v.quantity}).`);
      }
      const list = await get<AutoscaleView[]>(`/apps/${enc(app)}/autoscale`);
      if (opts.json) return printJson(list);
      if (list.length === 0) return print(`${app} has no autoscaled process types (yb autoscale web -a ${app} --min 1 --max 4 --p95-ms 300).`);
      table(
        ['TYPE', 'MIN', 'MAX', 'TARGET', 'NOW', 'MEASURED'],
        list.map((v) => [v.type, String(v.min), String(v.max), target(v), String(v.quantity), `${now(v.current)} (${v.current.windowS} s)`]),
      );
      for (const v of list) {
        const d = v.lastRecorded ?? v.last;
        if (d) print(`${v.type}: ${d.at.slice(0, 19).replace('T', ' ')} UTC ${d.message}`);
      }
    });

  program
    .command('autoscale:off')
    .argument('<type>')
    .description('stop autoscaling a process type; its processes stay as many as they are')
    .option('-a, --app <app>')
    .addHelpText('after', '\nExample:\n  yb autoscale:off web -a hello')
    .action(async (type: string, opts: { app?: string }) => {
      const app = requireApp(opts.app);
      await request('DELETE', `/apps/${enc(app)}/autoscale/${enc(type)}`);
      print(`Autoscaling of ${type} of ${app} is off.`);
    });
}
