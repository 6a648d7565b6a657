// The jobs of app.json `cron` (Dokku's format: [{"command": "...", "schedule": "..."}]): validated when a release
// is made, each with a stable id derived from its schedule and command, as `yb cron` lists them and `cron:run ID`
// names them. Pure.
import { createHash } from 'node:crypto';
import { parseSchedule } from './schedule.js';

export interface CronJob {
  /** 10 hex characters of the job's schedule and command: the same job keeps its id across releases. */
  id: string;
  schedule: string;
  command: string;
}

const MAX_JOBS = 50;
const MAX_COMMAND = 4096;

export function cronJobId(schedule: string, command: string): string {
  return createHash('sha256').update(`${schedule}\n${command}`).digest('hex').slice(0, 10);
}

/** The jobs of an app.json `cron` value; `errors` name the entry at fault. */
export function parseCronJobs(raw: unknown): { jobs: CronJob[]; errors: string[] } {
  if (!Array.isArray(raw)) return { jobs: [], errors: ['app.json "cron" must be an array of {"command", "schedule"}'] };
  if (raw.length > MAX_JOBS) return { jobs: [], errors: [`app.json "cron" has ${raw.length} jobs; at most ${MAX_JOBS} are allowed`] };
  const jobs: CronJob[] = [];
  const errors: string[] = [];
  raw.forEach((entry, i) => {
    const where = `app.json "cron[${i}]"`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return errors.push(`${where} must be an object`);
    const { command, schedule } = entry as { command?: unknown; schedule?: unknown };
    if (typeof command !== 'string' || command.trim() === '') return errors.push(`${where}.command must be a command`);
    if (command.length > MAX_COMMAND) return errors.push(`${where}.command is longer than ${MAX_COMMAND} characters`);
    if (typeof schedule !== 'string') return errors.push(`${where}.schedule must be a string such as "0 3 * * *"`);
    const parsed = parseSchedule(schedule);
    if ('error' in parsed) return errors.push(`${where}: ${parsed.error}`);
    const id = cronJobId(schedule.trim(), command);
    if (jobs.some((j) => j.id === id)) return errors.push(`${where} repeats an earlier job`);
    jobs.push({ id, schedule: schedule.trim(), command });
  });
  return { jobs, errors };
}
