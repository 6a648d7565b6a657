// drains, drains:add, drains:remove: forward an app's log stream to syslog (TCP/TLS) or HTTPS endpoints.
import type { Command } from 'commander';
import { get, request } from '../client.js';
import { requireApp, enc } from '../app-arg.js';
import { print, printJson, table, c } from '../output.js';

interface Drain {
  id: string;
  url: string;
  kind: string;
  token: string;
  connected: boolean;
  queued: number;
  dropped: number;
  delivered: number;
  lastError?: string;
}

export function registerDrains(program: Command): void {
  program
    .command('drains')
    .description("list the app's log drains and how delivery goes")
    .option('-a, --app <app>')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  yb drains -a hello\n  yb drains -a hello --json')
    .action(async (opts: { app?: string; json?: boolean }) => {
      const app = requireApp(opts.app);
      const list = await get<Drain[]>(`/apps/${enc(app)}/log-drains`);
      if (opts.json) return printJson(list);
      if (list.length === 0) return print(`${app} has no log drains. Add one with: yb drains:add syslog+tls://HOST:PORT -a ${app}`);
      print(c.bold(`=== ${app} Log Drains`));
      table(
        ['ID', 'URL', 'STATE', 'DELIVERED', 'QUEUED', 'DROPPED'],
        list.map((d) => [
          d.id,
          d.url,
          d.connected ? 'connected' : `down${d.lastError ? ` (${d.lastError})` : ''}`,
          String(d.delivered),
          String(d.queued),
          String(d.dropped),
        ]),
      );
    });

  program
    .command('drains:add')
    .argument('<url>', 'syslog+tcp://HOST:PORT, syslog+tls://HOST:PORT or https://…')
    .description("send the app's log lines to a syslog server or an HTTPS endpoint")
    .option('-a, --app <app>')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      [
        '',
        'Syslog drains get RFC 5424 messages framed by octet counting (RFC 6587); HTTPS drains get POSTs of',
        'application/logplex-1 batches, as from Heroku. While a drain is down its newest lines are buffered (YB_LOG_DRAIN_BUFFER).',
        '',
        'Examples:',
        '  yb drains:add syslog+tls://logs.example.com:6514 -a hello',
        '  yb drains:add https://user:secret@logs.example.com/ingest -a hello',
      ].join('\n'),
    )
    .action(async (url: string, opts: { app?: string; json?: boolean }) => {
      const app = requireApp(opts.app);
      const { data } = await request<Drain>('POST', `/apps/${enc(app)}/log-drains`, { body: { url } });
      if (opts.json) return printJson(data);
      print(`Successfully added drain ${data.url} (id ${data.id}, token ${data.token})`);
    });

  program
    .command('drains:remove')
    .argument('<url-or-id>', "the drain's URL or id (see yb drains)")
    .description('stop sending logs to a drain')
    .option('-a, --app <app>')
    .addHelpText('after', '\nExamples:\n  yb drains:remove syslog+tls://logs.example.com:6514 -a hello\n  yb drains:remove 5f1c0a9e2b7d4c11 -a hello')
    .action(async (target: string, opts: { app?: string }) => {
      const app = requireApp(opts.app);
      const { data } = await request<Drain>('DELETE', `/apps/${enc(app)}/log-drains/${enc(target)}`);
      print(`Successfully removed drain ${data.url}`);
    });
}
