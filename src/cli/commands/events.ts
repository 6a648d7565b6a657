// events [-a APP]: the audit trail (who did what to which app, when, from where).
import type { Command } from 'commander';
import { get } from '../client.js';
import { print, printJson, table } from '../output.js';

interface AuditEvent {
  at: string;
  team: string;
  user: string;
  action: string;
  app?: string;
  ip?: string;
  detail?: Record<string, unknown>;
}

function summary(d: Record<string, unknown> | undefined): string {
  if (!d) return '';
  return Object.entries(d)
    .filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

export function registerEvents(program: Command): void {
  program
    .command('events')
    .description('audit events of your teams, newest first')
    .option('-a, --app <app>', 'only this app')
    .option('-n, --num <n>', 'how many', '50')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  yb events\n  yb events -a hello -n 10')
    .action(async (opts: { app?: string; num: string; json?: boolean }) => {
      const q = new URLSearchParams();
      if (opts.app) q.set('app', opts.app);
      q.set('limit', String(Math.max(1, Math.min(1000, Number(opts.num) || 50))));
      const events = await get<AuditEvent[]>(`/events?${q.toString()}`);
      if (opts.json) return printJson(events);
      if (events.length === 0) return print('No events');
      table(
        ['WHEN', 'WHO', 'FROM', 'APP', 'ACTION', 'DETAIL'],
        events.map((e) => [e.at, e.user, e.ip ?? '', e.app ?? (e.team.startsWith('_') ? '' : `(${e.team})`), e.action, summary(e.detail)]),
      );
    });
}
