// maintenance, maintenance:on, maintenance:off: the app's maintenance mode (the router answers 503 with a page on
// every host of the app; processes keep running, so health checks and `yb run` still work).
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { request, get, CliError } from '../client.js';
import { requireApp, enc } from '../app-arg.js';
import { print, printJson } from '../output.js';

interface Maintenance {
  enabled: boolean;
  customPage: boolean;
  hosts: string[];
}

/** The page file, read here so that a missing or unreadable file fails before anything changes. */
function readPage(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read the maintenance page ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, 2);
  }
}

export function registerMaintenance(program: Command): void {
  program
    .command('maintenance')
    .description('whether the app is down for maintenance')
    .option('-a, --app <app>')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  yb maintenance -a hello')
    .action(async (opts: { app?: string; json?: boolean }) => {
      const app = requireApp(opts.app);
      const m = await get<Maintenance>(`/apps/${enc(app)}/maintenance`);
      if (opts.json) return printJson(m);
      print(m.enabled ? `${app} is down for maintenance${m.customPage ? ' (its own page)' : ''}.` : `${app} is not in maintenance mode.`);
    });

  program
    .command('maintenance:on')
    .description("answer every request to the app with 503 and a maintenance page (the app's processes keep running)")
    .option('-a, --app <app>')
    .option('--page <file>', "an HTML file to answer with instead of the router's page (at most 64 KiB)")
    .addHelpText('after', '\nExamples:\n  yb maintenance:on -a hello\n  yb maintenance:on -a hello --page maintenance.html')
    .action(async (opts: { app?: string; page?: string }) => {
      const app = requireApp(opts.app);
      const page = opts.page === undefined ? undefined : readPage(opts.page);
      const r = (await request<Maintenance>('PUT', `/apps/${enc(app)}/maintenance`, { body: { enabled: true, ...(page === undefined ? {} : { page }) } })).data;
      print(`${app} is down for maintenance (${r.hosts.join(', ')} answer 503${r.customPage ? ' with your page' : ''}).`);
    });

  program
    .command('maintenance:off')
    .description('serve the app again')
    .option('-a, --app <app>')
    .addHelpText('after', '\nExample:\n  yb maintenance:off -a hello')
    .action(async (opts: { app?: string }) => {
      const app = requireApp(opts.app);
      await request<Maintenance>('PUT', `/apps/${enc(app)}/maintenance`, { body: { enabled: false } });
      print(`${app} is served again.`);
    });
}
