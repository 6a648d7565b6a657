// cron, cron:run: the app's scheduled jobs (app.json "cron" of its current release), their next and last runs, and
// running one now. Their output is in `yb logs --ps cron.<id>`.
import type { Command } from 'commander';
import { request, get } from '../client.js';
import { requireApp, enc } from '../app-arg.js';
import { print, printJson, table } from '../output.js';

interface CronRun {
  trigger: string;
  startedAt: string;
  durationMs?: number;
  exitCode: number | null;
  status: string;
  error?: string;
}
interface CronJob {
  id: string;
  schedule: string;
  command: string;
  next: string | null;
  running: boolean;
  state: { last?: CronRun; missed?: { count: number; last: string }; skipped?: number };
}

const when = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

function lastRun(j: CronJob): string {
  if (j.running) return 'running now';
  const r = j.state.last;
  if (!r) return 'never ran';
  const outcome = r.exitCode === null ? `failed: ${r.error ?? 'no exit code'}` : `exit ${r.exitCode}`;
  return `${when(r.startedAt)}, ${outcome}${r.durationMs === undefined ? '' : `, ${(r.durationMs / 1000).toFixed(1)} s`}`;
}

export function registerCron(program: Command): void {
  program
    .command('cron')
    .description('the app\'s cron jobs (app.json "cron"): schedule, command, next and last run (UTC)')
    .option('-a, --app <app>')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  yb cron -a hello\n  yb cron -a hello --json')
    .action(async (opts: { app?: string; json?: boolean }) => {
      const app = requireApp(opts.app);
      const jobs = await get<CronJob[]>(`/apps/${enc(app)}/cron`);
      if (opts.json) return printJson(jobs);
      if (jobs.length === 0) return print(`${app} has no cron jobs (add them to app.json "cron" and deploy).`);
      table(
        ['ID', 'SCHEDULE', 'COMMAND', 'NEXT', 'LAST RUN'],
        jobs.map((j) => [j.id, j.schedule, j.command, j.next ? when(j.next) : '-', lastRun(j)]),
      );
      for (const j of jobs) {
        if (j.state.missed) print(`${j.id} missed ${j.state.missed.count} run(s) while the platform was down (the last at ${when(j.state.missed.last)}).`);
      }
    });

  program
    .command('cron:run')
    .argument('<id>')
    .description('run a cron job now; its output goes to the app log (yb logs --ps cron.<id>)')
    .option('-a, --app <app>')
    .addHelpText('after', '\nExample:\n  yb cron:run 3fa2b1c9d0 -a hello')
    .action(async (id: string, opts: { app?: string }) => {
      const app = requireApp(opts.app);
      const r = (await request<{ id: string; command: string }>('POST', `/apps/${enc(app)}/cron/${enc(id)}/runs`)).data;
      print(`Running ${r.command} (cron job ${r.id} of ${app}); follow it with: yb logs -t -a ${app} --ps cron.${r.id}`);
    });
}
