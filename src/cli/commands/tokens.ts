// tokens, tokens:create, tokens:revoke: the caller's API tokens (a token is printed once, at creation).
import type { Command } from 'commander';
import { request, get } from '../client.js';
import { enc } from '../app-arg.js';
import { print, printJson, table } from '../output.js';

interface Token {
  id: string;
  description: string;
  createdAt: string;
}

export function registerTokens(program: Command): void {
  program
    .command('tokens')
    .description('list your API tokens (ids only; tokens are never shown again)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const tokens = await get<Token[]>('/tokens');
      if (opts.json) return printJson(tokens);
      table(
        ['ID', 'CREATED', 'DESCRIPTION'],
        tokens.map((t) => [t.id, t.createdAt, t.description]),
      );
    });

  program
    .command('tokens:create')
    .description('create an API token and print it (only this once)')
    .option('-d, --description <text>', 'what the token is for')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  yb tokens:create -d "CI deploys"')
    .action(async (opts: { description?: string; json?: boolean }) => {
      const { data } = await request<Token & { token: string }>('POST', '/tokens', { body: opts.description ? { description: opts.description } : {} });
      if (opts.json) return printJson(data);
      process.stderr.write(`Created token ${data.id}. It is shown only this once:\n`);
      print(data.token);
    });

  program
    .command('tokens:revoke')
    .argument('<id>', 'token id (see: yb tokens)')
    .description('revoke one of your API tokens')
    .action(async (id: string) => {
      await request('DELETE', `/tokens/${enc(id)}`);
      print(`Revoked token ${id}`);
    });
}
