// storage, storage:create, storage:destroy, storage:mount, storage:unmount: persistent volumes of a team and where
// apps mount them (Dokku's storage:*). Mounting rolls the app's processes out; data stays until storage:destroy.
import type { Command } from 'commander';
import { request, get, CliError } from '../client.js';
import { requireApp, enc } from '../app-arg.js';
import { print, printJson, table } from '../output.js';

interface Mount {
  app: string;
  volume: string;
  path: string;
  types?: string[];
}
interface Volume {
  name: string;
  team: string;
  createdAt: string;
  bytes: number | null;
  mounts: Mount[];
}

const size = (b: number | null) => (b === null ? '-' : b < 1024 * 1024 ? `${(b / 1024).toFixed(0)} KiB` : `${(b / 1024 / 1024).toFixed(1)} MiB`);

export function registerStorage(program: Command): void {
  program
    .command('storage')
    .description("volumes of your teams: size and where they are mounted (with -a: the app's mounts)")
    .option('-a, --app <app>', "only this app's mounts")
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  yb storage\n  yb storage -a hello --json')
    .action(async (opts: { app?: string; json?: boolean }) => {
      if (opts.app) {
        const mounts = await get<Mount[]>(`/apps/${enc(opts.app)}/storage`);
        if (opts.json) return printJson(mounts);
        if (mounts.length === 0) return print(`${opts.app} mounts no volume.`);
        return table(
          ['VOLUME', 'PATH', 'PROCESSES'],
          mounts.map((m) => [m.volume, m.path, m.types?.join(',') ?? 'all']),
        );
      }
      const volumes = await get<Volume[]>('/storage');
      if (opts.json) return printJson(volumes);
      if (volumes.length === 0) return print('No volumes yet: yb storage:create NAME');
      table(
        ['NAME', 'TEAM', 'SIZE', 'MOUNTED BY'],
        volumes.map((v) => [v.name, v.team, size(v.bytes), v.mounts.map((m) => `${m.app}:${m.path}`).join(', ') || '-']),
      );
    });

  program
    .command('storage:create')
    .argument('<name>')
    .description("create a persistent volume for a team's apps")
    .option('--team <team>', 'the team that owns it (default: main)')
    .addHelpText('after', '\nExample:\n  yb storage:create uploads --team shop')
    .action(async (name: string, opts: { team?: string }) => {
      const v = (await request<Volume>('POST', '/storage', { body: { name, ...(opts.team ? { team: opts.team } : {}) } })).data;
      print(`Created volume ${v.name} of team ${v.team}. Mount it with: yb storage:mount ${v.name} /data -a APP`);
    });

  program
    .command('storage:destroy')
    .argument('<name>')
    .description('destroy a volume and everything in it (refused while an app mounts it)')
    .option('--confirm <name>', 'the volume name again, to confirm')
    .addHelpText('after', '\nExample:\n  yb storage:destroy uploads --confirm uploads')
    .action(async (name: string, opts: { confirm?: string }) => {
      if (opts.confirm !== name) throw new CliError(`this deletes the data in ${name}; run again with --confirm ${name}`, 2);
      await request('DELETE', `/storage/${enc(name)}`);
      print(`Destroyed volume ${name} and its data.`);
    });

  program
    .command('storage:mount')
    .argument('<name>')
    .argument('<path>')
    .description("mount a volume of the app's team into its processes and one-offs at PATH (rolls the processes out)")
    .option('-a, --app <app>')
    .option('--process <type...>', 'only these process types (default: all)')
    .addHelpText('after', '\nExamples:\n  yb storage:mount uploads /app/uploads -a hello\n  yb storage:mount cache /cache -a hello --process worker')
    .action(async (name: string, path: string, opts: { app?: string; process?: string[] }) => {
      const app = requireApp(opts.app);
      const m = (await request<Mount>('PUT', `/apps/${enc(app)}/storage/${enc(name)}`, { body: { path, ...(opts.process ? { types: opts.process } : {}) } }))
        .data;
      print(`Mounted ${m.volume} at ${m.path} in ${app}${m.types ? ` (${m.types.join(', ')})` : ''}; its processes were rolled out.`);
    });

  program
    .command('storage:unmount')
    .argument('<name>')
    .description('unmount a volume from the app (its data stays; rolls the processes out)')
    .option('-a, --app <app>')
    .addHelpText('after', '\nExample:\n  yb storage:unmount uploads -a hello')
    .action(async (name: string, opts: { app?: string }) => {
      const app = requireApp(opts.app);
      await request('DELETE', `/apps/${enc(app)}/storage/${enc(name)}`);
      print(`Unmounted ${name} from ${app}; its data stays (yb storage:destroy ${name} removes it).`);
    });
}
