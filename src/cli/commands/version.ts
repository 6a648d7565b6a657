// version: this yb's version and the server's (GET /version), with a warning when they differ.
import type { Command } from 'commander';
import { get } from '../client.js';
import { apiUrl } from '../credentials.js';
import { c, print, printJson } from '../output.js';
import { PLATFORM_VERSION, versionMismatch } from '../../shared/version.js';

interface ServerVersion {
  version: string;
  node: string;
  layout: number;
}

export function registerVersion(program: Command): void {
  program
    .command('version')
    .description("this yb's version and the server's; warns when they differ")
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  yb version\n  yb version --json')
    .action(async (opts: { json?: boolean }) => {
      const cli = { version: PLATFORM_VERSION, node: process.version };
      // The CLI's own line first, so it is shown even when the server cannot be asked.
      if (!opts.json) print(`yb ${cli.version} (Node.js ${cli.node})`);
      const server = await get<ServerVersion>('/version');
      const warning = versionMismatch(cli.version, server.version);
      if (opts.json) return printJson({ cli, server: { ...server, url: apiUrl() }, mismatch: warning !== null });
      print(`server ${server.version} at ${apiUrl()} (Node.js ${server.node}, state layout ${server.layout})`);
      if (warning) process.stderr.write(`${c.yellow('warning:')} ${warning}\n`);
    });
}
