// deps, deps:add, deps:remove: app-to-app dependencies within a team.
import type { Command } from 'commander';
import { request, get } from '../client.js';
import { requireApp, enc } from '../app-arg.js';
import { print, printJson, table, withSpinner, c } from '../output.js';

interface DepsView {
  app: string;
  deps: Array<{ other: string; keys: string[]; vars: Record<string, string>; createdAt: string }>;
  dependents: string[];
  cycles: string[][];
}

function showCycles(cycles: string[][]): void {
  for (const cy of cycles) print(`${c.yellow('cycle:')} ${cy.join(' → ')} (allowed; start order does not matter, but each must tolerate the other being down)`);
}

export function registerDeps(program: Command): void {
  program
    .command('deps')
    .description('show the apps an app depends on, and those depending on it')
    .option('-a, --app <app>')
    .option('--json', 'print JSON')
    .action(async (opts: { app?: string; json?: boolean }) => {
      const app = requireApp(opts.app);
      const v = await get<DepsView>(`/apps/${enc(app)}/deps`);
      if (opts.json) return printJson(v);
      if (v.deps.length === 0) print(`${app} depends on no other app`);
      else
        table(
          ['DEPENDS ON', 'URL'],
          v.deps.map((d) => [d.other, Object.entries(d.vars).find(([k]) => k.endsWith('_URL'))?.[1] ?? '-']),
        );
      if (v.dependents.length) print(`Depended on by: ${v.dependents.join(', ')}`);
      showCycles(v.cycles);
    });

  program
    .command('deps:add')
    .argument('<other>', 'app of the same team to depend on')
    .description('give the app OTHER_URL, OTHER_HOST and OTHER_PORT (makes a release)')
    .option('-a, --app <app>')
    .addHelpText('after', '\nExample:\n  yb deps:add billing-api -a shop     # shop gets BILLING_API_URL=http://billing-api:5000')
    .action(async (other: string, opts: { app?: string }) => {
      const app = requireApp(opts.app);
      const res = await withSpinner(
        `Adding dependency ${app} → ${other}`,
        request<{ keys: string[]; release: number | null; cycles: string[][] }>('POST', `/apps/${enc(app)}/deps`, { body: { app: other } }),
        (r) => `${r.data.keys.join(', ')} set${r.data.release ? `, released v${r.data.release}` : ' (takes effect on the next deploy)'}`,
      );
      showCycles(res.data.cycles);
    });

  program
    .command('deps:remove')
    .argument('<other>')
    .description('remove a dependency and its vars (makes a release)')
    .option('-a, --app <app>')
    .action(async (other: string, opts: { app?: string }) => {
      const app = requireApp(opts.app);
      await withSpinner(
        `Removing dependency ${app} → ${other}`,
        request<{ removed: string[]; release: number | null }>('DELETE', `/apps/${enc(app)}/deps/${enc(other)}`),
        (r) => `removed ${r.data.removed.join(', ')}${r.data.release ? `, released v${r.data.release}` : ''}`,
      );
    });
}
