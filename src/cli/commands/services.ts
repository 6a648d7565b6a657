// services, services:create, services:attach-url, services:info, services:destroy, services:restart,
// services:link, services:unlink, services:backup, services:backups, services:restore.
import type { Command } from 'commander';
import { request, get, CliError } from '../client.js';
import { requireApp, enc } from '../app-arg.js';
import { print, printJson, table, withSpinner, c } from '../output.js';

interface Link {
  app: string;
  alias: string;
  keys: string[];
}
interface Service {
  name: string;
  team: string;
  kind: string | null;
  origin: string;
  status: string;
  state: string;
  createdAt: string;
  createdBy: string;
  connection: { scheme: string; host: string; port: number; database: string; user?: string; password?: string; url?: string };
  links: Link[];
}
interface Backup {
  id: string;
  service: string;
  file: string;
  bytes: number;
  createdAt: string;
}

const KINDS = ['postgres', 'redis', 'mysql'];

function size(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function registerServices(program: Command): void {
  program
    .command('services')
    .description('list backing services')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const list = await get<Service[]>('/services');
      if (opts.json) return printJson(list);
      if (list.length === 0) return print('You have no services. Create one with: yb services:create postgres NAME');
      table(
        ['NAME', 'KIND', 'TEAM', 'STATE', 'LINKED TO'],
        list.map((s) => [s.name, s.kind ?? 'external', s.team, s.state, s.links.map((l) => `${l.app} (${l.alias})`).join(', ') || '-']),
      );
    });

  program
    .command('services:create')
    .argument('<kind>', KINDS.join(' | '))
    .argument('<name>', 'service name (lowercase letters, digits, dashes)')
    .description('create a backing service: a container on the team network with a persistent volume and generated credentials')
    .option('--team <team>', 'team that owns the service')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  yb services:create postgres main-db\n  yb services:link main-db -a hello')
    .action(async (kind: string, name: string, opts: { team?: string; json?: boolean }) => {
      if (!KINDS.includes(kind)) throw new CliError(`unknown service kind "${kind}"`, 2, `use one of: ${KINDS.join(', ')}`);
      const res = await withSpinner(
        `Creating ${kind} service ${name}`,
        request<Service>('POST', '/services', { body: { kind, name, ...(opts.team ? { team: opts.team } : {}) } }),
        () => 'ready',
      );
      if (opts.json) return printJson(res.data);
      print(`${c.bold(name)} is ready; link it to an app with: yb services:link ${name} -a APP`);
    });

  program
    .command('services:attach-url')
    .argument('<name>', 'service name')
    .argument('<url>', 'the external resource, e.g. postgres://user:pass@db.example.com:5432/app')
    .description('register an external resource; it links to apps like a created service')
    .option('--team <team>', 'team that owns it')
    .option('--json', 'print JSON')
    .action(async (name: string, url: string, opts: { team?: string; json?: boolean }) => {
      const { data } = await request<Service>('POST', '/services', { body: { name, url, ...(opts.team ? { team: opts.team } : {}) } });
      if (opts.json) return printJson(data);
      print(`Attached ${c.bold(name)} (${data.kind ?? data.connection.scheme} at ${data.connection.host}:${data.connection.port})`);
    });

  program
    .command('services:info')
    .argument('<name>')
    .description('show a service (credentials if you may manage it)')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const s = await get<Service>(`/services/${enc(name)}`);
      if (opts.json) return printJson(s);
      const cn = s.connection;
      print(c.bold(`=== ${s.name}`));
      const rows: string[][] = [
        ['Kind', s.kind ?? 'external'],
        ['Team', s.team],
        ['State', s.state],
        ['Host', `${cn.host}:${cn.port} (on the team network)`],
        ['Database', cn.database],
      ];
      if (cn.url) rows.push(['User', cn.user ?? ''], ['Password', cn.password ?? ''], ['URL', cn.url]);
      rows.push(['Linked to', s.links.map((l) => `${l.app} as ${l.alias}_URL`).join(', ') || '-'], ['Created', `${s.createdAt} by ${s.createdBy}`]);
      table(['KEY', 'VALUE'], rows);
    });

  program
    .command('services:destroy')
    .argument('<name>')
    .description('destroy a service: its container and data volume (backups are kept)')
    .option('--confirm <name>', 'the service name again, to confirm')
    .option('--force', 'unlink it from every app first')
    .action(async (name: string, opts: { confirm?: string; force?: boolean }) => {
      if (opts.confirm !== name) throw new CliError(`destroying ${name} deletes its data and cannot be undone`, 2, `run again with --confirm ${name}`);
      await withSpinner(`Destroying ${name}`, request('DELETE', `/services/${enc(name)}${opts.force ? '?force=true' : ''}`), () => 'done');
    });

  program
    .command('services:restart')
    .argument('<name>')
    .description('restart a service (its data stays) and wait until it is ready')
    .action(async (name: string) => {
      await withSpinner(`Restarting ${name}`, request('POST', `/services/${enc(name)}/restart`), () => 'ready');
    });

  program
    .command('services:link')
    .argument('<name>')
    .description("give an app the service's URL and connection vars (makes a release)")
    .option('-a, --app <app>')
    .option('--as <alias>', 'variable prefix instead of DATABASE/REDIS/MYSQL (sets ALIAS_URL, ALIAS_HOST, …)')
    .addHelpText('after', '\nExamples:\n  yb services:link main-db -a hello\n  yb services:link cache -a hello --as SESSION_STORE')
    .action(async (name: string, opts: { app?: string; as?: string }) => {
      const app = requireApp(opts.app);
      await withSpinner(
        `Linking ${name} to ${app}`,
        request<Link & { release: number | null }>('POST', `/services/${enc(name)}/links`, { body: { app, ...(opts.as ? { as: opts.as } : {}) } }),
        (r) => `${r.data.alias}_URL set${r.data.release ? `, released v${r.data.release}` : ' (takes effect on the next deploy)'}`,
      );
    });

  program
    .command('services:unlink')
    .argument('<name>')
    .description("remove the service's vars from an app (makes a release)")
    .option('-a, --app <app>')
    .option('--as <alias>', 'which link, when linked more than once')
    .action(async (name: string, opts: { app?: string; as?: string }) => {
      const app = requireApp(opts.app);
      await withSpinner(
        `Unlinking ${name} from ${app}`,
        request<{ removed: string[]; release: number | null }>('DELETE', `/services/${enc(name)}/links/${enc(app)}${opts.as ? `?as=${enc(opts.as)}` : ''}`),
        (r) => `removed ${r.data.removed.join(', ')}${r.data.release ? `, released v${r.data.release}` : ''}`,
      );
    });

  program
    .command('services:backup')
    .argument('<name>')
    .description('back up a service now (pg_dump, mysqldump, Redis RDB)')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const res = await withSpinner(
        `Backing up ${name}`,
        request<Backup>('POST', `/services/${enc(name)}/backups`),
        (r) => `${r.data.id} (${size(r.data.bytes)})`,
      );
      if (opts.json) printJson(res.data);
    });

  program
    .command('services:backups')
    .argument('<name>')
    .description('list the backups of a service')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const list = await get<Backup[]>(`/services/${enc(name)}/backups`);
      if (opts.json) return printJson(list);
      if (list.length === 0) return print(`${name} has no backups. Make one with: yb services:backup ${name}`);
      table(
        ['BACKUP', 'SIZE', 'CREATED'],
        list.map((b) => [b.id, size(b.bytes), b.createdAt]),
      );
    });

  program
    .command('services:restore')
    .argument('<name>')
    .argument('<backup>', 'backup id (see yb services:backups NAME)')
    .description('replace the data of a service with a backup')
    .option('--confirm <name>', 'the service name again, to confirm')
    .action(async (name: string, backup: string, opts: { confirm?: string }) => {
      if (opts.confirm !== name) throw new CliError(`restoring replaces the current data of ${name}`, 2, `run again with --confirm ${name}`);
      await withSpinner(`Restoring ${name} from ${backup}`, request('POST', `/services/${enc(name)}/backups/${enc(backup)}/restore`), () => 'done');
    });
}
