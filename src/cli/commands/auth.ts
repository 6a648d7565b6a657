// login, logout, whoami.
import type { Command } from 'commander';
import { request } from '../client.js';
import { apiUrl, saveToken, removeToken } from '../credentials.js';
import { print, printJson } from '../output.js';
import { createInterface } from 'node:readline/promises';

export function registerAuth(program: Command): void {
  program.command('login')
    .description('save an API token for this API in ~/.netrc')
    .option('--token <token>', 'the API token (read from stdin when omitted)')
    .addHelpText('after', '\nExamples:\n  yb login --token "$(cat .yunbang/admin-token)"\n  echo "$TOKEN" | yb login')
    .action(async (opts: { token?: string }) => {
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

  program.command('logout').description('forget the saved token of this API').action(() => {
    print(removeToken(apiUrl()) ? `Logged out of ${apiUrl()}` : 'No saved token for this API');
  });

  program.command('whoami').description('show the user of the current token').option('--json', 'print JSON').action(async (opts: { json?: boolean }) => {
    const { data } = await request<{ name: string; admin: boolean }>('GET', '/account');
    if (opts.json) printJson(data);
    else print(data.name);
  });
}
