// builds, builds:info, builds:output: the app's build records and their full output.
import type { Command } from 'commander';
import { get, request, CliError } from '../client.js';
import { requireApp, enc } from '../app-arg.js';
import { print, printJson, table, c } from '../output.js';
import { formatPhases, type Phases } from '../../shared/phases.js';

interface Build {
  id: string;
  status: string;
  sourceCommit?: string;
  builder: string;
  buildpacks: string[];
  language?: string;
  languageVersion?: string;
  createdBy: string;
  createdAt: string;
  finishedAt?: string;
  durations: Record<string, number>;
  phases?: Phases;
  error?: string;
  image?: string;
  queue?: { position: number; ahead: number; slots: number };
}

/** The status, with a queued build's live place ("queued (place 2, 3 builds ahead, 2 slots)"). */
function statusOf(b: Build): string {
  const q = b.queue;
  if (b.status !== 'queued' || !q) return b.status;
  return `queued (place ${q.position}, ${q.ahead} build${q.ahead === 1 ? '' : 's'} ahead, ${q.slots} slot${q.slots === 1 ? '' : 's'})`;
}

const took = (b: Build) => (b.finishedAt ? `${Math.round((Date.parse(b.finishedAt) - Date.parse(b.createdAt)) / 100) / 10} s` : '-');

async function latest(app: string): Promise<Build> {
  const list = await get<Build[]>(`/apps/${enc(app)}/builds`);
  const b = list.at(-1);
  if (!b) throw new CliError(`${app} has no builds yet`, 4, `push code: git push yb main`);
  return b;
}

export function registerBuilds(program: Command): void {
  program
    .command('builds')
    .description("the app's builds, newest first")
    .option('-a, --app <app>')
    .option('-n, --num <n>', 'how many', '15')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  yb builds -a hello\n  yb builds -a hello --json')
    .action(async (opts: { app?: string; num: string; json?: boolean }) => {
      const app = requireApp(opts.app);
      const list = (await get<Build[]>(`/apps/${enc(app)}/builds`)).reverse().slice(0, Number(opts.num) || 15);
      if (opts.json) return printJson(list);
      if (list.length === 0) return print(`${app} has no builds yet`);
      print(c.bold(`=== ${app} Builds`));
      table(
        ['ID', 'STATUS', 'COMMIT', 'BUILDER', 'BY', 'CREATED', 'TOOK'],
        list.map((b) => [
          b.id,
          statusOf(b),
          b.sourceCommit?.slice(0, 7) ?? '-',
          b.language ? `${b.builder} (${b.language})` : b.builder,
          b.createdBy,
          b.createdAt,
          took(b),
        ]),
      );
    });

  program
    .command('builds:info')
    .argument('[id]', 'build id (default: the latest)')
    .description('show one build')
    .option('-a, --app <app>')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  yb builds:info -a hello\n  yb builds:info 1a2b3c4d -a hello --json')
    .action(async (id: string | undefined, opts: { app?: string; json?: boolean }) => {
      const app = requireApp(opts.app);
      const b = id ? await get<Build>(`/apps/${enc(app)}/builds/${enc(id)}`) : await latest(app);
      if (opts.json) return printJson(b);
      print(c.bold(`=== Build ${b.id}`));
      table(
        ['KEY', 'VALUE'],
        [
          ['Status', statusOf(b) + (b.error ? ` (${b.error})` : '')],
          ['Commit', b.sourceCommit ?? '-'],
          ['Builder', b.builder],
          ['Buildpacks', b.buildpacks.join(', ') || '-'],
          ['Language', b.language ? `${b.language} ${b.languageVersion ?? ''}`.trim() : '-'],
          ['By', b.createdBy],
          ['Created', b.createdAt],
          ['Took', took(b)],
          [
            'Steps',
            Object.entries(b.durations ?? {})
              .map(([k, v]) => `${k} ${Math.round(v / 100) / 10} s`)
              .join(', ') || '-',
          ],
          ['Phases', formatPhases(b.phases)],
        ],
      );
    });

  program
    .command('builds:output')
    .argument('[id]', 'build id (default: the latest)')
    .description('print the full output of a build')
    .option('-a, --app <app>')
    .addHelpText('after', '\nExamples:\n  yb builds:output -a hello\n  yb builds:output 1a2b3c4d -a hello | less')
    .action(async (id: string | undefined, opts: { app?: string }) => {
      const app = requireApp(opts.app);
      const buildId = id ?? (await latest(app)).id;
      const { data } = await request<unknown>('GET', `/apps/${enc(app)}/builds/${enc(buildId)}/output`);
      const text = typeof data === 'string' ? data : JSON.stringify(data);
      process.stdout.write(text.endsWith('\n') || text === '' ? text : `${text}\n`);
    });
}
