// config, config:get, config:set, config:unset.
import type { Command } from 'commander';
import { request, CliError } from '../client.js';
import { requireApp, enc } from '../app-arg.js';
import { print, printJson, withSpinner, c } from '../output.js';
import { parseAssignments } from '../../release/config-vars.js';
import { YbError } from '../../shared/errors.js';

/** Set by the API when the caller's role (viewer) shows config var names only. */
const HIDDEN_HEADER = 'x-yb-values-hidden';

async function readVars(app: string): Promise<{ vars: Record<string, string>; hidden: boolean }> {
  const { data, headers } = await request<Record<string, string>>('GET', `/apps/${enc(app)}/config-vars`);
  return { vars: data, hidden: headers.get(HIDDEN_HEADER) === 'true' };
}

async function patch(app: string, body: Record<string, string | null>, label: string): Promise<void> {
  const res = await withSpinner(label, request<Record<string, string>>('PATCH', `/apps/${enc(app)}/config-vars`, { body }), (r) => {
    const rel = r.headers.get('x-yb-release');
    return rel ? `released v${rel}` : 'saved (takes effect on the next deploy)';
  });
  void res;
}

export function registerConfig(program: Command): void {
  program
    .command('config')
    .description('show config vars')
    .option('-a, --app <app>')
    .option('-s, --shell', 'KEY=value lines')
    .option('--json', 'print JSON')
    .action(async (opts: { app?: string; shell?: boolean; json?: boolean }) => {
      const app = requireApp(opts.app);
      const { vars, hidden } = await readVars(app);
      if (opts.json) return printJson(vars);
      if (hidden) process.stderr.write(`Values are hidden: your role on ${app} (viewer) shows config var names only.\n`);
      const keys = Object.keys(vars).sort();
      if (opts.shell) return keys.forEach((k) => print(`${k}=${vars[k]}`));
      print(c.bold(`=== ${app} Config Vars`));
      const w = Math.max(0, ...keys.map((k) => k.length));
      for (const k of keys) print(`${`${k}:`.padEnd(w + 2)}${vars[k]}`);
    });

  program
    .command('config:get')
    .argument('<key>')
    .description('print one config var')
    .option('-a, --app <app>')
    .action(async (key: string, opts: { app?: string }) => {
      const app = requireApp(opts.app);
      const { vars, hidden } = await readVars(app);
      if (!(key in vars)) throw new CliError(`${key} is not set`, 4);
      if (hidden) throw new CliError(`your role on ${app} (viewer) shows config var names only, not their values`, 3);
      print(vars[key]);
    });

  program
    .command('config:set')
    .argument('<assignments...>', 'KEY=VALUE pairs')
    .description('set config vars (makes a release when the app runs)')
    .option('-a, --app <app>')
    .addHelpText('after', '\nExample:\n  yb config:set GREETING=hi DEBUG=1 -a hello')
    .action(async (assignments: string[], opts: { app?: string }) => {
      const app = requireApp(opts.app);
      let body: Record<string, string>;
      try {
        body = parseAssignments(assignments);
      } catch (err) {
        if (err instanceof YbError) throw new CliError(err.message, err.exitCode);
        throw err;
      }
      await patch(app, body, `Setting ${Object.keys(body).join(', ')} on ${app}`);
    });

  program
    .command('config:unset')
    .argument('<keys...>')
    .description('unset config vars')
    .option('-a, --app <app>')
    .action(async (keys: string[], opts: { app?: string }) => {
      const app = requireApp(opts.app);
      await patch(app, Object.fromEntries(keys.map((k) => [k, null])), `Unsetting ${keys.join(', ')} on ${app}`);
    });
}
