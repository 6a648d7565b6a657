// releases, releases:info, rollback.
import type { Command } from 'commander';
import { request, get } from '../client.js';
import { requireApp, enc } from '../app-arg.js';
import { print, printJson, table, withSpinner, c } from '../output.js';
import { formatPhases, type Phases } from '../../shared/phases.js';

interface Release {
  version: number;
  description: string;
  createdBy: string;
  createdAt: string;
  status: string;
  statusReason?: string;
  current: boolean;
  image: string;
  imageId: string;
  processTypes: Record<string, string>;
  configKeys: string[];
  build?: string;
  phases?: Phases;
}

const version = (s: string) => Number(s.replace(/^v/, ''));

export function registerReleases(program: Command): void {
  program
    .command('releases')
    .description('release history')
    .option('-a, --app <app>')
    .option('-n, --num <n>', 'how many', '15')
    .option('--json', 'print JSON')
    .action(async (opts: { app?: string; num: string; json?: boolean }) => {
      const app = requireApp(opts.app);
      const list = (await get<Release[]>(`/apps/${enc(app)}/releases`)).reverse().slice(0, Number(opts.num) || 15);
      if (opts.json) return printJson(list);
      print(c.bold(`=== ${app} Releases`));
      table(
        ['VERSION', 'STATUS', 'DESCRIPTION', 'BY', 'CREATED'],
        list.map((r) => [`v${r.version}${r.current ? ' *' : ''}`, r.status, r.description, r.createdBy, r.createdAt]),
      );
    });

  program
    .command('releases:info')
    .argument('[version]')
    .description('show one release (default: current)')
    .option('-a, --app <app>')
    .option('--json', 'print JSON')
    .action(async (v: string | undefined, opts: { app?: string; json?: boolean }) => {
      const app = requireApp(opts.app);
      const r = v
        ? await get<Release>(`/apps/${enc(app)}/releases/${version(v)}`)
        : (await get<Release[]>(`/apps/${enc(app)}/releases`)).find((x) => x.current);
      if (!r) return print(`${app} has no current release`);
      if (opts.json) return printJson(r);
      print(c.bold(`=== Release v${r.version}`));
      table(
        ['KEY', 'VALUE'],
        [
          ['Status', r.status + (r.statusReason ? ` (${r.statusReason})` : '')],
          ['Description', r.description],
          ['By', r.createdBy],
          ['When', r.createdAt],
          ['Image', r.imageId.slice(7, 19)],
          ['Build', r.build ?? '-'],
          [
            'Processes',
            Object.entries(r.processTypes)
              .map(([k, cmd]) => `${k}: ${cmd}`)
              .join('; '),
          ],
          ['Config vars', r.configKeys.join(', ') || '-'],
          ['Phases', formatPhases(r.phases)],
        ],
      );
    });

  program
    .command('rollback')
    .argument('[version]', 'release to go back to (default: the previous one)')
    .description('roll back to an earlier release')
    .option('-a, --app <app>')
    .addHelpText('after', '\nExamples:\n  yb rollback -a hello\n  yb rollback v3 -a hello')
    .action(async (v: string | undefined, opts: { app?: string }) => {
      const app = requireApp(opts.app);
      await withSpinner(
        `Rolling back ${app}${v ? ` to ${v}` : ''}`,
        request<Release>('POST', `/apps/${enc(app)}/releases`, { body: v ? { release: version(v) } : {} }),
        (r) => `v${r.data.version} is live (${r.data.description})`,
      );
    });
}
