// login, logout, whoami.
import type { Command } from 'commander';
import { request } from '../client.js';
import { apiUrl, saveToken, removeToken } from '../credentials.js';
import { print, printJson } from '../output.js';
import { createInterface } from 'node:readline/promises';
import { readSecret } from './teams.js';

export function registerAuth(program: Command): void {
  program
    .command('login')
    .description('save an API token for this API in ~/.netrc')
    .option('--token <token>', 'the API token (read from stdin when omitted)')
    .option('-u, --username <name>', 'log in with a user name and password (asked for, or read from stdin) instead of a token')
    .addHelpText('after', '\nExamples:\n  yb login --token "$(cat .yunbang/admin-token)"\n  echo "$TOKEN" | yb login\n  yb login -u alice')
    .action(async (opts: { token?: string; username?: string }) => {
      if (opts.username) {
        const password = await readSecret('Password: ');
        const { data } = await request<{ name: string; token: string }>('POST', '/login', { body: { name: opts.username, password }, token: null });
        saveToken(apiUrl(), data.name, data.token);
        return print(`Logged in to ${apiUrl()} as ${data.name}`);
      }
      let token = opts.token;
      if (!token) {
        const rl = createInterface({ input: process.stdin, output: process.stderr });
        token = (await rl.question('API token: ')).trim();
        rl.close();
      }
      const { data } = await request<{ name: string }>('GET', '/account', { token });
      saveToken(apiUrl(), data.name, token);
      print(`Logged in to ${apiUrl()} as ${data.name}`);
    });

  program
    .command('logout')
    .description('forget the saved token of this API')
    .action(() => {
      print(removeToken(apiUrl()) ? `Logged out of ${apiUrl()}` : 'No saved token for this API');
    });

  program
    .command('whoami')
    .description('show the user of the current token')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const { data } = await request<{ name: string; admin: boolean }>('GET', '/account');
      if (opts.json) printJson(data);
      else print(data.name);
    });
}
