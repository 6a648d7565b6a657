// services, services:create, services:attach-url, services:info, services:destroy, services:restart,
// services:link, services:unlink, services:backup, services:backups, services:restore, services:backups:schedule,
// services:backups:remote (docs/architecture.md §5.4).
import { readFileSync } from 'node:fs';
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
  backups?: BackupPlanView;
}
interface Backup {
  id: string;
  service: string;
  file: string;
  bytes: number;
  createdAt: string;
  /** Where it is (services:backups); absent from servers before off-site copies. */
  local?: boolean;
  offsite?: boolean | { copied: boolean; key?: string; error?: string };
}
interface BackupRun {
  trigger: string;
  startedAt: string;
  status: string;
  backup?: string;
  offsite?: string;
  error?: string;
}
interface BackupPlanView {
  schedule: string | null;
  keep: number;
  next: string | null;
  offsite: { endpoint: string; region: string; to: string } | null;
  runs: { last?: BackupRun; missed?: { count: number; last: string }; skipped?: number };
}

/** One line saying when a service is backed up and where to. */
function planLine(p: BackupPlanView): string {
  const when = p.schedule ? `"${p.schedule}" (UTC), keeping ${p.keep}${p.next ? `, next ${p.next}` : ''}` : 'by hand only';
  return `${when}${p.offsite ? `; copied to ${p.offsite.to} at ${p.offsite.endpoint}` : ''}`;
}

/** The store's secret key: from --secret-file, $YB_S3_SECRET_ACCESS_KEY, or one line on stdin (never a flag: ps shows those). */
async function secretKey(file?: string): Promise<string> {
  if (file) return readFileSync(file, 'utf8').trim();
  if (process.env.YB_S3_SECRET_ACCESS_KEY) return process.env.YB_S3_SECRET_ACCESS_KEY;
  if (process.stdin.isTTY) process.stderr.write('Secret access key: ');
  let text = '';
  for await (const chunk of process.stdin) {
    text += (chunk as Buffer).toString();
    if (text.includes('\n')) break;
  }
  const secret = text.split('\n')[0]!.trim();
  if (!secret) throw new CliError('no secret access key given', 2, 'pipe it on stdin, or use --secret-file FILE or YB_S3_SECRET_ACCESS_KEY');
  return secret;
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
      if (s.backups) rows.push(['Backups', planLine(s.backups)]);
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
        request<Backup & { offsite: { copied: boolean; key?: string; error?: string } }>('POST', `/services/${enc(name)}/backups`),
        (r) => `${r.data.id} (${size(r.data.bytes)})${r.data.offsite?.copied ? ', copied off-site' : ''}`,
      );
      if (opts.json) printJson(res.data);
      // The local backup is made either way; a failed off-site copy still fails the command, so scripts notice.
      if (res.data.offsite?.error) throw new CliError(`${res.data.id} was kept here, but ${res.data.offsite.error}`, 11);
    });

  program
    .command('services:backups')
    .argument('<name>')
    .description('list the backups of a service')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const { data: list, headers } = await request<Backup[]>('GET', `/services/${enc(name)}/backups`);
      if (opts.json) return printJson(list);
      const plan = await get<BackupPlanView>(`/services/${enc(name)}/backups/plan`);
      print(`Backed up ${planLine(plan)}`);
      const last = plan.runs.last;
      if (last) print(`Last scheduled run: ${last.startedAt} ${last.status}${last.backup ? ` (${last.backup})` : ''}${last.error ? `: ${last.error}` : ''}`);
      if (plan.runs.missed)
        print(c.yellow(`Missed ${plan.runs.missed.count} scheduled run(s) while the platform was down (the last at ${plan.runs.missed.last})`));
      const offsiteError = headers.get('x-yb-offsite-error');
      if (offsiteError) print(c.yellow(`Off-site copies not listed: ${decodeURIComponent(offsiteError)}`));
      if (list.length === 0) return print(`${name} has no backups. Make one with: yb services:backup ${name}`);
      table(
        ['BACKUP', 'SIZE', 'CREATED', 'WHERE'],
        list.map((b) => [b.id, size(b.bytes), b.createdAt, [b.local !== false ? 'here' : '', b.offsite === true ? 'off-site' : ''].filter(Boolean).join(', ')]),
      );
    });

  program
    .command('services:backups:schedule')
    .argument('<name>')
    .argument('[schedule]', 'cron schedule in UTC: five fields or @daily, @hourly, …')
    .description('back a service up on a schedule, keeping the newest N here and off-site; --off stops it')
    .option('--keep <n>', 'backups kept (here and off-site)', '7')
    .option('--to <url>', 'copy each backup to s3://bucket/prefix (the store set with services:backups:remote)')
    .option('--off', 'stop the scheduled backups')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  yb services:backups:schedule pg-main "0 3 * * *" --keep 7\n  yb services:backups:schedule pg-main @daily --keep 14 --to s3://backups/prod\n  yb services:backups:schedule pg-main --off',
    )
    .action(async (name: string, schedule: string | undefined, opts: { keep: string; to?: string; off?: boolean; json?: boolean }) => {
      let plan: BackupPlanView;
      if (opts.off) plan = (await request<BackupPlanView>('DELETE', `/services/${enc(name)}/backups/schedule`)).data;
      else {
        if (!schedule) throw new CliError('give a schedule, e.g. "0 3 * * *", or --off', 2);
        const keep = Number(opts.keep);
        if (!Number.isInteger(keep) || keep < 1) throw new CliError('--keep is a whole number of at least 1', 2);
        plan = (await request<BackupPlanView>('PUT', `/services/${enc(name)}/backups/schedule`, { body: { schedule, keep, to: opts.to } })).data;
      }
      if (opts.json) return printJson(plan);
      print(`${name} is backed up ${planLine(plan)}`);
    });

  program
    .command('services:backups:remote')
    .argument('<name>')
    .argument('[to]', 's3://bucket/prefix in the store')
    .description('set the S3-compatible store for off-site copies (checked now; the keys are kept sealed and never shown)')
    .option('--endpoint <url>', "the store's endpoint, e.g. https://s3.eu-west-1.amazonaws.com")
    .option('--region <region>', 'the region signed for', 'us-east-1')
    .option('--access-key <id>', 'access key id')
    .option('--secret-file <file>', 'read the secret access key from this file (else $YB_S3_SECRET_ACCESS_KEY, else stdin)')
    .option('--off', 'forget the store (copies already there stay)')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  yb services:backups:remote pg-main s3://backups/prod --endpoint https://s3.example.com --access-key AKIA... < secret.txt\n  yb services:backups:remote pg-main --off',
    )
    .action(
      async (
        name: string,
        to: string | undefined,
        opts: { endpoint?: string; region: string; accessKey?: string; secretFile?: string; off?: boolean; json?: boolean },
      ) => {
        let plan: BackupPlanView;
        if (opts.off) plan = (await request<BackupPlanView>('DELETE', `/services/${enc(name)}/backups/remote`)).data;
        else {
          if (!to || !opts.endpoint || !opts.accessKey) throw new CliError('give s3://bucket/prefix, --endpoint and --access-key', 2);
          const body = { to, endpoint: opts.endpoint, region: opts.region, accessKeyId: opts.accessKey, secretAccessKey: await secretKey(opts.secretFile) };
          plan = (await withSpinner(`Checking ${to}`, request<BackupPlanView>('PUT', `/services/${enc(name)}/backups/remote`, { body }), () => 'reachable'))
            .data;
        }
        if (opts.json) return printJson(plan);
        print(plan.offsite ? `Backups of ${name} are copied to ${plan.offsite.to} at ${plan.offsite.endpoint}` : `Backups of ${name} stay here only`);
      },
    );

  program
    .command('services:restore')
    .alias('services:backups:restore')
    .argument('<name>')
    .argument('<backup>', 'backup id (see yb services:backups NAME)')
    .description('replace the data of a service with a backup (fetched from its off-site copy when the local file is gone)')
    .option('--confirm <name>', 'the service name again, to confirm')
    .action(async (name: string, backup: string, opts: { confirm?: string }) => {
      if (opts.confirm !== name) throw new CliError(`restoring replaces the current data of ${name}`, 2, `run again with --confirm ${name}`);
      await withSpinner(`Restoring ${name} from ${backup}`, request<{ from: string }>('POST', `/services/${enc(name)}/backups/${enc(backup)}/restore`), (r) =>
        r.data.from === 'offsite' ? 'done (fetched from the off-site copy)' : 'done',
      );
    });
}
