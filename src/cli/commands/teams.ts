// teams, teams:create, members, members:add/remove/set-role; users, users:create, users:remove, passwd.
import type { Command } from 'commander';
import { createInterface } from 'node:readline/promises';
import { request, get, CliError } from '../client.js';
import { enc } from '../app-arg.js';
import { print, printJson, table, c } from '../output.js';

interface Team {
  name: string;
  role: string;
  members: number;
  createdAt: string;
}
interface Member {
  user: string;
  role: string;
}

const ROLE_HELP = 'owner, admin, member or viewer';

function requireTeam(team: string | undefined): string {
  if (!team) throw new CliError('no team given', 2, 'pass -t TEAM (see: yb teams)');
  return team;
}

/** Reads a secret line from stdin: prompted on a terminal (not echoed), else the first line of piped input. */
export async function readSecret(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) {
    let input = '';
    for await (const chunk of process.stdin) input += String(chunk);
    return input.split('\n')[0]!.replace(/\r$/, '');
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const out = rl as unknown as { _writeToOutput?: (s: string) => void; output: NodeJS.WriteStream };
  process.stderr.write(prompt);
  out._writeToOutput = () => undefined; // no echo
  const answer = await rl.question('');
  rl.close();
  process.stderr.write('\n');
  return answer;
}

function printMembers(team: string, members: Member[], json?: boolean): void {
  if (json) return printJson(members);
  print(c.bold(`=== ${team} members`));
  table(
    ['USER', 'ROLE'],
    members.map((m) => [m.user, m.role]),
  );
}

export function registerTeams(program: Command): void {
  program
    .command('teams')
    .description('list the teams you belong to')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const teams = await get<Team[]>('/teams');
      if (opts.json) return printJson(teams);
      table(
        ['TEAM', 'ROLE', 'MEMBERS'],
        teams.map((t) => [t.name, t.role, String(t.members)]),
      );
    });

  program
    .command('teams:create')
    .argument('<name>', 'team name (lowercase letters, digits, dashes)')
    .description('create a team; you become its owner')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const { data } = await request<Team>('POST', '/teams', { body: { name } });
      if (opts.json) return printJson(data);
      print(`Created team ${c.bold(data.name)}; you are its owner. Add people with: yb members:add USER -t ${data.name}`);
    });

  program
    .command('members')
    .description('list the members of a team')
    .option('-t, --team <team>')
    .option('--json', 'print JSON')
    .action(async (opts: { team?: string; json?: boolean }) => {
      const team = requireTeam(opts.team);
      printMembers(team, await get<Member[]>(`/teams/${enc(team)}/members`), opts.json);
    });

  program
    .command('members:add')
    .argument('<user>')
    .description('add a user to a team')
    .option('-t, --team <team>')
    .option('--role <role>', ROLE_HELP, 'member')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  yb members:add alice -t payments --role viewer')
    .action(async (user: string, opts: { team?: string; role: string; json?: boolean }) => {
      const team = requireTeam(opts.team);
      const { data } = await request<Member[]>('POST', `/teams/${enc(team)}/members`, { body: { user, role: opts.role } });
      if (opts.json) return printJson(data);
      print(`Added ${user} to ${team} as ${opts.role}`);
    });

  program
    .command('members:set-role')
    .argument('<user>')
    .description('change the role of a member')
    .option('-t, --team <team>')
    .requiredOption('--role <role>', ROLE_HELP)
    .option('--json', 'print JSON')
    .action(async (user: string, opts: { team?: string; role: string; json?: boolean }) => {
      const team = requireTeam(opts.team);
      const { data } = await request<Member[]>('PATCH', `/teams/${enc(team)}/members/${enc(user)}`, { body: { role: opts.role } });
      if (opts.json) return printJson(data);
      print(`${user} is now ${opts.role} of ${team}`);
    });

  program
    .command('members:remove')
    .argument('<user>')
    .description('remove a member from a team')
    .option('-t, --team <team>')
    .option('--json', 'print JSON')
    .action(async (user: string, opts: { team?: string; json?: boolean }) => {
      const team = requireTeam(opts.team);
      const { data } = await request<Member[]>('DELETE', `/teams/${enc(team)}/members/${enc(user)}`);
      if (opts.json) return printJson(data);
      print(`Removed ${user} from ${team}`);
    });

  program
    .command('users')
    .description('list all users (platform administrators)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const users = await get<Array<{ name: string; admin: boolean; createdAt: string }>>('/users');
      if (opts.json) return printJson(users);
      table(
        ['USER', 'ADMIN', 'CREATED'],
        users.map((u) => [u.name, u.admin ? 'yes' : '', u.createdAt]),
      );
    });

  program
    .command('users:create')
    .argument('<name>')
    .description('create a user and print its API token (shown only once)')
    .option('--admin', 'make a platform administrator')
    .option('--password-stdin', 'also set a password, read from stdin')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  yb users:create alice\n  echo "$PASSWORD" | yb users:create bob --password-stdin')
    .action(async (name: string, opts: { admin?: boolean; passwordStdin?: boolean; json?: boolean }) => {
      const password = opts.passwordStdin ? await readSecret('Password: ') : undefined;
      const { data } = await request<{ name: string; token: string; tokenId: string }>('POST', '/users', {
        body: { name, ...(opts.admin ? { admin: true } : {}), ...(password !== undefined ? { password } : {}) },
      });
      if (opts.json) return printJson(data);
      process.stderr.write(`Created user ${data.name}. Their API token (shown only this once; give it to them):\n`);
      print(data.token);
    });

  program
    .command('users:remove')
    .argument('<name>')
    .description('remove a user, their tokens, keys and memberships')
    .option('--confirm <name>', 'the user name again, to confirm')
    .action(async (name: string, opts: { confirm?: string }) => {
      if (opts.confirm !== name) throw new CliError(`removing ${name} cannot be undone`, 2, `run again with --confirm ${name}`);
      await request('DELETE', `/users/${enc(name)}`);
      print(`Removed user ${name}`);
    });

  program
    .command('passwd')
    .description('set your password (for yb login -u NAME)')
    .action(async () => {
      const password = await readSecret('New password: ');
      await request('PUT', '/account/password', { body: { password } });
      print('Password set');
    });
}
