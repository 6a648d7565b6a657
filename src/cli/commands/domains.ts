// domains, domains:add, domains:remove.
import type { Command } from 'commander';
import { request, get } from '../client.js';
import { requireApp, enc } from '../app-arg.js';
import { print, printJson, table, c } from '../output.js';

interface Domain {
  hostname: string;
  kind: string;
  createdAt?: string;
}

export function registerDomains(program: Command): void {
  program
    .command('domains')
    .description('host names routed to the app')
    .option('-a, --app <app>')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  yb domains -a hello')
    .action(async (opts: { app?: string; json?: boolean }) => {
      const app = requireApp(opts.app);
      const list = await get<Domain[]>(`/apps/${enc(app)}/domains`);
      if (opts.json) return printJson(list);
      print(c.bold(`=== ${app} Domains`));
      table(
        ['HOSTNAME', 'KIND', 'ADDED'],
        list.map((d) => [d.hostname, d.kind, d.createdAt ?? '-']),
      );
    });

  program
    .command('domains:add')
    .argument('<hostname>', 'e.g. www.example.com or *.example.com')
    .description('route a host name to the app')
    .option('-a, --app <app>')
    .addHelpText('after', '\nExamples:\n  yb domains:add www.example.com -a hello\n  yb domains:add "*.example.com" -a hello')
    .action(async (hostname: string, opts: { app?: string }) => {
      const app = requireApp(opts.app);
      const { data } = await request<Domain>('POST', `/apps/${enc(app)}/domains`, { body: { hostname } });
      print(`${data.hostname} now routes to ${app}. Point its DNS at this platform's router.`);
    });

  program
    .command('domains:remove')
    .argument('<hostname>')
    .description('stop routing a host name to the app')
    .option('-a, --app <app>')
    .action(async (hostname: string, opts: { app?: string }) => {
      const app = requireApp(opts.app);
      await request('DELETE', `/apps/${enc(app)}/domains/${enc(hostname)}`);
      print(`${hostname} no longer routes to ${app}.`);
    });
}
