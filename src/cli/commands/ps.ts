// ps: the app's processes.
import type { Command } from 'commander';
import { get, request, CliError } from '../client.js';
import { requireApp, enc } from '../app-arg.js';
import { print, printJson, table, withSpinner } from '../output.js';

interface Dyno {
  name: string;
  type: string;
  release: number;
  state: string;
  startedAt: string;
  restarts: number;
}

function since(iso: string): string {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : `${Math.round(s / 3600)}h`;
}

export function registerPs(program: Command): void {
  program
    .command('ps')
    .description("list the app's processes")
    .option('-a, --app <app>')
    .option('--json', 'print JSON')
    .action(async (opts: { app?: string; json?: boolean }) => {
      const app = requireApp(opts.app);
      const dynos = await get<Dyno[]>(`/apps/${enc(app)}/dynos`);
      if (opts.json) return printJson(dynos);
      if (dynos.length === 0) return print(`${app} has no running processes`);
      table(
        ['PROCESS', 'STATE', 'RELEASE', 'UP', 'RESTARTS'],
        dynos.map((d) => [d.name, d.state, `v${d.release}`, since(d.startedAt), String(d.restarts)]),
      );
    });
}

/** Parses `web=3`, `worker=2:512M`, `web=:1G` (size only). Pure. */
export function parseScaleArgs(args: string[]): Array<{ type: string; quantity?: number; size?: string }> {
  return args.map((a) => {
    const m = /^([a-z][a-z0-9_-]*)=(\d+)?(?::(\S+))?$/.exec(a);
    if (!m || (m[2] === undefined && m[3] === undefined))
      throw new CliError(`"${a}" is not TYPE=N or TYPE=N:SIZE`, 2, 'for example: yb ps:scale web=2 worker=1:512M');
    return { type: m[1]!, ...(m[2] !== undefined ? { quantity: Number(m[2]) } : {}), ...(m[3] ? { size: m[3] } : {}) };
  });
}

export function registerScale(program: Command): void {
  program
    .command('ps:scale')
    .argument('<changes...>', 'TYPE=N or TYPE=N:SIZE (size like 512M, 1G or 512M:0.5 cpus)')
    .description('scale process types (setting the quantity of an autoscaled type turns its autoscaling off)')
    .option('-a, --app <app>')
    .addHelpText('after', '\nExamples:\n  yb ps:scale web=3 -a hello\n  yb ps:scale web=2:512M worker=1 -a hello')
    .action(async (changes: string[], opts: { app?: string }) => {
      const app = requireApp(opts.app);
      const updates = parseScaleArgs(changes);
      const res = await withSpinner(
        `Scaling ${app} (${changes.join(' ')})`,
        request<Array<{ type: string; quantity: number; size?: string }>>('PATCH', `/apps/${enc(app)}/formation`, { body: { updates } }),
        (r) => r.data.map((f) => `${f.type}=${f.quantity}${f.size ? `:${f.size}` : ''}`).join(' '),
      );
      void res;
    });

  for (const action of ['stop', 'start'] as const) {
    program
      .command(`ps:${action}`)
      .description(action === 'stop' ? 'stop every process of the app (until ps:start or the next deploy)' : "start the app's processes again after ps:stop")
      .option('-a, --app <app>')
      .addHelpText('after', `\nExample:\n  yb ps:${action} -a hello`)
      .action(async (opts: { app?: string }) => {
        const app = requireApp(opts.app);
        await withSpinner(`${action === 'stop' ? 'Stopping' : 'Starting'} ${app}`, request('POST', `/apps/${enc(app)}/dynos/actions/${action}`), () =>
          action === 'stop' ? 'stopped' : 'running',
        );
      });
  }

  program
    .command('ps:restart')
    .argument('[type]', 'process type (default: all)')
    .description('restart processes without downtime')
    .option('-a, --app <app>')
    .action(async (type: string | undefined, opts: { app?: string }) => {
      const app = requireApp(opts.app);
      await withSpinner(
        `Restarting ${type ?? 'all'} processes of ${app}`,
        request('DELETE', `/apps/${enc(app)}/dynos${type ? `?type=${enc(type)}` : ''}`),
        () => 'done',
      );
    });
}
