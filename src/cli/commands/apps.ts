// apps, apps:create, apps:info, apps:rename, apps:destroy, git:remote.
import type { Command } from 'commander';
import { execFileSync } from 'node:child_process';
import { request, get, CliError } from '../client.js';
import { requireApp, enc } from '../app-arg.js';
import { apiUrl, apiToken } from '../credentials.js';
import { print, printJson, table, c } from '../output.js';
import { ERRORS } from '../../shared/errors.js';
import { streamDeployPost } from './deploy.js';
import { registerTemplateCatalogues } from './template-catalogues.js';

interface App {
  name: string;
  team: string;
  createdAt: string;
  createdBy: string;
  currentRelease: number;
  webUrl: string;
  gitUrl: string;
}

export function registerApps(program: Command): void {
  program
    .command('apps')
    .description('list your apps')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const apps = await get<App[]>('/apps');
      if (opts.json) return printJson(apps);
      if (apps.length === 0) return print('You have no apps. Create one with: yb apps:create NAME');
      table(
        ['NAME', 'TEAM', 'RELEASE', 'URL'],
        apps.map((a) => [a.name, a.team, a.currentRelease ? `v${a.currentRelease}` : '-', a.webUrl]),
      );
    });

  program
    .command('apps:create')
    .argument('<name>', 'app name (lowercase letters, digits, dashes)')
    .description('create an app (and add a "yb" git remote when run inside a git repository)')
    .option('--team <team>', 'team that owns the app')
    .option('--no-remote', 'do not add a git remote')
    .option('--template <template>', 'deploy a ready app (yb templates: a shipped one or CATALOGUE/TEMPLATE), with its services')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  yb apps:create hello\n  yb apps:create shop --template node-postgres')
    .action(async (name: string, opts: { team?: string; remote: boolean; json?: boolean; template?: string }) => {
      // An unknown template, or one its catalogue's fetch refused (with the reason), is refused before anything is made.
      if (opts.template && !(await get<Array<{ name: string }>>('/templates')).some((t) => t.name === opts.template)) {
        const [cat, tpl] = opts.template.split('/');
        const catalogues = tpl ? await get<Array<{ name: string; refused: Array<{ template: string; reason: string }> }>>('/templates/catalogues') : [];
        const refused = catalogues.find((x) => x.name === cat)?.refused.find((r) => r.template === tpl);
        if (refused) throw new CliError(`template ${opts.template.slice(0, 90)} was refused when its catalogue was fetched: ${refused.reason}`, 2);
        throw new CliError(`no template named "${opts.template.slice(0, 90)}" (yb templates lists them)`, 4);
      }
      const { data } = await request<App>('POST', '/apps', { body: { name, ...(opts.team ? { team: opts.team } : {}) } });
      if (opts.json && !opts.template) return printJson(data);
      print(`Created ${c.bold(data.name)}: ${data.webUrl} | ${data.gitUrl}`);
      if (opts.remote && !opts.template && addRemote(data.name, data.gitUrl)) print(`Git remote yb added`);
      if (!opts.template) return;
      const ok = await streamDeployPost(`/apps/${enc(data.name)}/template-deploys`, JSON.stringify({ template: opts.template }), 'application/json');
      if (!ok) process.exit(ERRORS.YB_ERR_DEPLOY_FAILED.exit);
    });

  program
    .command('templates')
    .description('ready apps to start from (yb apps:create NAME --template T)')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  yb templates\n  yb apps:create shop --template node-postgres\n  yb apps:create blog --template community/static-blog')
    .action(async (opts: { json?: boolean }) => {
      const list = await get<Array<{ name: string; description: string; services: string[] }>>('/templates');
      if (opts.json) return printJson(list);
      table(
        ['NAME', 'SERVICES', 'DESCRIPTION'],
        list.map((t) => [t.name, t.services.join(', ') || '-', t.description]),
      );
    });

  registerTemplateCatalogues(program);

  program
    .command('apps:info')
    .description('show an app')
    .option('-a, --app <app>')
    .option('--json', 'print JSON')
    .action(async (opts: { app?: string; json?: boolean }) => {
      const a = await get<App>(`/apps/${enc(requireApp(opts.app))}`);
      if (opts.json) return printJson(a);
      print(c.bold(`=== ${a.name}`));
      table(
        ['KEY', 'VALUE'],
        [
          ['Team', a.team],
          ['Release', a.currentRelease ? `v${a.currentRelease}` : '(none)'],
          ['Web URL', a.webUrl],
          ['Git URL', a.gitUrl],
          ['Created', `${a.createdAt} by ${a.createdBy}`],
        ],
      );
    });

  program
    .command('apps:rename')
    .argument('<names...>', "OLD NEW, or NEW with -a OLD (or inside the app's repository)")
    .description("rename an app; its URL <name>.<domain>, git remote, releases, logs, links and processes follow (updates this repository's remotes)")
    .option('-a, --app <app>')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  yb apps:rename hello greeter\n  yb apps:rename greeter -a hello')
    .action(async (names: string[], opts: { app?: string; json?: boolean }) => {
      if (names.length > 2) throw new CliError('apps:rename takes OLD NEW, or NEW with -a OLD', 2);
      const [from, to] = names.length === 2 ? [names[0]!, names[1]!] : [requireApp(opts.app), names[0]!];
      const { data } = await request<{ from: string; app: App; output: string[] }>('POST', `/apps/${enc(from)}/rename`, { body: { name: to } });
      if (opts.json) return printJson(data);
      for (const l of data.output) print(l);
      print(`Renamed ${from} to ${c.bold(data.app.name)}: ${data.app.webUrl} | ${data.app.gitUrl}`);
      for (const remote of renameRemotes(from, data.app.gitUrl)) print(`Git remote ${remote} updated`);
    });

  program
    .command('apps:destroy')
    .description('destroy an app: containers, routes, releases, repo')
    .option('-a, --app <app>')
    .option('--confirm <app>', 'the app name again, to confirm')
    .addHelpText('after', '\nExample:\n  yb apps:destroy -a hello --confirm hello')
    .action(async (opts: { app?: string; confirm?: string }) => {
      const app = requireApp(opts.app);
      if (opts.confirm !== app) throw new CliError(`destroying ${app} cannot be undone`, 2, `run again with --confirm ${app}`);
      const { data } = await request<{ warnings?: string[] }>('DELETE', `/apps/${enc(app)}`);
      print(`Destroyed ${app}`);
      // The app is gone, but what failed to be removed needs an operator's look: said, and not with exit code 0.
      if (data.warnings?.length)
        throw new CliError(
          `${app} was destroyed, but part of removing it failed: ${data.warnings.join('; ')}`,
          1,
          'ask the platform operator to remove what is left (see the ybd log)',
        );
    });

  program
    .command('git:credentials')
    .argument('[operation]')
    .description('git credential helper: answers "get" with the saved API token')
    .action(async (op?: string) => {
      if (op !== 'get') return;
      let input = '';
      for await (const chunk of process.stdin) input += String(chunk);
      const fields = Object.fromEntries(
        input
          .split('\n')
          .filter((l) => l.includes('='))
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      const token = apiToken(fields.host ? `${fields.protocol ?? 'http'}://${fields.host}` : apiUrl());
      if (token) process.stdout.write(`username=yb\npassword=${token}\n`);
    });

  program
    .command('git:remote')
    .description('add a git remote for an app')
    .option('-a, --app <app>')
    .option('-r, --remote <name>', 'remote name', 'yb')
    .action((opts: { app?: string; remote: string }) => {
      const app = requireApp(opts.app);
      const url = `${apiUrl()}/git/${app}.git`;
      if (!addRemote(app, url, opts.remote)) throw new CliError('not inside a git repository', 2, "run it in your app's repository");
      print(`Git remote ${opts.remote} → ${url}`);
    });
}

/** Points this repository's remotes of the app's old git URL (…/git/<from>.git) at `gitUrl`, as Heroku's CLI does; their names. */
function renameRemotes(from: string, gitUrl: string): string[] {
  let list: string;
  try {
    list = execFileSync('git', ['config', '--get-regexp', '^remote\\..*\\.url$'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return []; // not a git repository, or it has no remotes
  }
  const changed: string[] = [];
  for (const line of list.split('\n')) {
    const m = /^remote\.(.+)\.url (.*)$/.exec(line);
    if (!m || !m[2]!.endsWith(`/git/${from}.git`) || new URL(m[2]!, 'http://x').origin !== new URL(gitUrl).origin) continue;
    execFileSync('git', ['remote', 'set-url', m[1]!, gitUrl], { stdio: 'ignore' });
    changed.push(m[1]!);
  }
  return changed;
}

/** Adds (or updates) the remote and makes git ask `yb` for credentials for the API host in this repository. */
function addRemote(_app: string, url: string, name = 'yb'): boolean {
  try {
    execFileSync('git', ['rev-parse', '--git-dir'], { stdio: 'ignore' });
  } catch {
    return false; // not a git repository
  }
  try {
    execFileSync('git', ['remote', 'add', name, url], { stdio: 'ignore' });
  } catch {
    execFileSync('git', ['remote', 'set-url', name, url], { stdio: 'ignore' });
  }
  const base = new URL(url).origin;
  execFileSync(
    'git',
    ['config', '--replace-all', `credential.${base}.helper`, `!${JSON.stringify(process.execPath)} ${JSON.stringify(process.argv[1] ?? 'yb')} git:credentials`],
    { stdio: 'ignore' },
  );
  return true;
}
