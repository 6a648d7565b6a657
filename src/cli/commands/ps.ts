// ps: the app's processes.
import type { Command } from 'commander';
import { get } from '../client.js';
import { requireApp, enc } from '../app-arg.js';
import { print, printJson, table } from '../output.js';

interface Dyno { name: string; type: string; release: number; state: string; startedAt: string; restarts: number }

function since(iso: string): string {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : `${Math.round(s / 3600)}h`;
}

export function registerPs(program: Command): void {
  program.command('ps').description('list the app\'s processes').option('-a, --app <app>').option('--json', 'print JSON').action(async (opts: { app?: string; json?: boolean }) => {
    const app = requireApp(opts.app);
    const dynos = await get<Dyno[]>(`/apps/${enc(app)}/dynos`);
    if (opts.json) return printJson(dynos);
    if (dynos.length === 0) return print(`${app} has no running processes`);
    table(['PROCESS', 'STATE', 'RELEASE', 'UP', 'RESTARTS'], dynos.map((d) => [d.name, d.state, `v${d.release}`, since(d.startedAt), String(d.restarts)]));
  });
}
