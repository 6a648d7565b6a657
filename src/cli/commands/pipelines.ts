// pipelines*, reviewapps*: a team's pipelines (review → development → staging → production), promoting a release
// downstream without a rebuild, and review apps made from branch pushes (Heroku's pipelines and review apps;
// docs/architecture.md §5.6).
import type { Command } from 'commander';
import { request, get, CliError } from '../client.js';
import { requireApp, enc } from '../app-arg.js';
import { print, printJson, table, c } from '../output.js';
import { ERRORS } from '../../shared/errors.js';
import { streamDeployPost } from './deploy.js';

interface Pipeline {
  name: string;
  team: string;
  apps: Record<string, string>;
  reviewApps?: { parent: string; idleHours: number };
}
interface ReviewApp {
  app: string;
  branch: string;
  lastPushAt: string;
  services: string[];
}
interface Promotion {
  from: { app: string; release: number };
  stage: string;
  to: Array<{ app: string; release?: number; seconds?: number; error?: string }>;
}

const STAGE_ORDER = ['review', 'development', 'staging', 'production'];

function needPipeline(p: string | undefined): string {
  if (!p) throw new CliError('say which pipeline with -p NAME', 2);
  return p;
}

export function registerPipelines(program: Command): void {
  program
    .command('pipelines')
    .description('pipelines of your teams')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  yb pipelines\n  yb pipelines --json')
    .action(async (opts: { json?: boolean }) => {
      const list = await get<Pipeline[]>('/pipelines');
      if (opts.json) return printJson(list);
      if (list.length === 0) return print('No pipelines yet: yb pipelines:create NAME');
      table(
        ['NAME', 'TEAM', 'APPS', 'REVIEW APPS'],
        list.map((p) => [p.name, p.team, String(Object.keys(p.apps).length), p.reviewApps ? `from ${p.reviewApps.parent}` : 'off']),
      );
    });

  program
    .command('pipelines:create')
    .argument('<name>')
    .description("create a pipeline for a team's apps")
    .option('--team <team>', 'the team whose apps it holds (default: main)')
    .addHelpText('after', '\nExample:\n  yb pipelines:create shop --team shop-team')
    .action(async (name: string, opts: { team?: string }) => {
      const p = (await request<Pipeline>('POST', '/pipelines', { body: { name, ...(opts.team ? { team: opts.team } : {}) } })).data;
      print(`Created pipeline ${c.bold(p.name)} of team ${p.team}. Add apps with: yb pipelines:add APP -p ${p.name} --stage staging`);
    });

  program
    .command('pipelines:info')
    .argument('<name>')
    .description('the apps of a pipeline by stage, and its review apps')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  yb pipelines:info shop')
    .action(async (name: string, opts: { json?: boolean }) => {
      const p = await get<Pipeline>(`/pipelines/${enc(name)}`);
      const reviews = await get<ReviewApp[]>(`/pipelines/${enc(name)}/review-apps`);
      if (opts.json) return printJson({ ...p, reviewAppList: reviews });
      print(`${c.bold(p.name)} (team ${p.team})`);
      const rows = Object.entries(p.apps).sort(([a, s], [b, t]) => STAGE_ORDER.indexOf(s) - STAGE_ORDER.indexOf(t) || a.localeCompare(b));
      if (rows.length) table(['APP', 'STAGE'], rows);
      else print('No apps yet.');
      print(
        p.reviewApps ? `Review apps: pushes of branches to ${p.reviewApps.parent}, destroyed after ${p.reviewApps.idleHours} idle hours` : 'Review apps: off',
      );
      for (const r of reviews)
        print(`  ${r.app}  branch ${r.branch}  last push ${r.lastPushAt}${r.services.length ? `  services ${r.services.join(', ')}` : ''}`);
    });

  program
    .command('pipelines:add')
    .argument('[app]')
    .description("add an app of the pipeline's team to the pipeline at a stage (again: move it to another stage)")
    .option('-a, --app <app>')
    .option('-p, --pipeline <name>')
    .option('-s, --stage <stage>', 'review, development, staging or production')
    .addHelpText('after', '\nExamples:\n  yb pipelines:add shop-staging -p shop --stage staging\n  yb pipelines:add -a shop-prod -p shop --stage production')
    .action(async (arg: string | undefined, opts: { app?: string; pipeline?: string; stage?: string }) => {
      const app = requireApp(arg ?? opts.app);
      if (!opts.stage) throw new CliError('say which stage with --stage review|development|staging|production', 2);
      const pipeline = needPipeline(opts.pipeline);
      await request('PUT', `/pipelines/${enc(pipeline)}/apps/${enc(app)}`, { body: { stage: opts.stage } });
      print(`Added ${app} to pipeline ${pipeline} at stage ${opts.stage}.`);
    });

  program
    .command('pipelines:remove')
    .argument('[app]')
    .description('remove an app from its pipeline (the app is kept)')
    .option('-a, --app <app>')
    .addHelpText('after', '\nExample:\n  yb pipelines:remove shop-staging')
    .action(async (arg: string | undefined, opts: { app?: string }) => {
      const app = requireApp(arg ?? opts.app);
      const r = (await request<{ pipeline: string }>('DELETE', `/apps/${enc(app)}/pipeline`)).data;
      print(`Removed ${app} from pipeline ${r.pipeline}.`);
    });

  program
    .command('pipelines:destroy')
    .argument('<name>')
    .description('destroy a pipeline: its review apps are destroyed, its other apps kept')
    .option('--confirm <name>', 'the pipeline name again, to confirm')
    .addHelpText('after', '\nExample:\n  yb pipelines:destroy shop --confirm shop')
    .action(async (name: string, opts: { confirm?: string }) => {
      if (opts.confirm !== name) throw new CliError(`this destroys the review apps of ${name}; run again with --confirm ${name}`, 2);
      const r = (await request<{ reviewApps: string[] }>('DELETE', `/pipelines/${enc(name)}`)).data;
      print(`Destroyed pipeline ${name}${r.reviewApps.length ? ` and its review apps ${r.reviewApps.join(', ')}` : ''}.`);
    });

  program
    .command('pipelines:promote')
    .description("copy the app's current release (the same image, no rebuild) to the next stage's apps, each with its own config")
    .option('-a, --app <app>')
    .option('-t, --to <apps>', 'comma-separated apps to promote to (default: every app of the next stage)')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  yb pipelines:promote -a shop-staging\n  yb pipelines:promote -a shop-staging --to shop-eu,shop-us')
    .action(async (opts: { app?: string; to?: string; json?: boolean }) => {
      const app = requireApp(opts.app);
      const to = opts.to
        ? opts.to
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : undefined;
      const r = (await request<Promotion>('POST', `/apps/${enc(app)}/promotions`, { body: to ? { to } : {} })).data;
      if (opts.json) printJson(r);
      else {
        print(`Promoting ${r.from.app} v${r.from.release} to ${r.stage}:`);
        for (const t of r.to) print(t.error ? `  ${c.red('✗')} ${t.app}: ${t.error}` : `  ${t.app}: v${t.release} is live (${t.seconds?.toFixed(1)} s)`);
      }
      if (r.to.some((t) => t.error)) process.exit(ERRORS.YB_ERR_DEPLOY_FAILED.exit);
    });

  program
    .command('reviewapps:enable')
    .description("make a review app for each branch pushed to the pipeline's review parent")
    .option('-p, --pipeline <name>')
    .option('-a, --app <app>', 'the review parent: pushes of branches to it make review apps (default: the development, else staging app)')
    .option('--idle-hours <n>', 'destroy a review app after this many hours without a push (default 120)')
    .addHelpText('after', '\nExamples:\n  yb reviewapps:enable -p shop\n  yb reviewapps:enable -p shop -a shop-staging --idle-hours 48')
    .action(async (opts: { pipeline?: string; app?: string; idleHours?: string }) => {
      const pipeline = needPipeline(opts.pipeline);
      const idleHours = opts.idleHours === undefined ? undefined : Number(opts.idleHours);
      if (idleHours !== undefined && !Number.isFinite(idleHours)) throw new CliError(`--idle-hours must be a number, not "${opts.idleHours}"`, 2);
      const body = { reviewApps: { ...(opts.app ? { parent: opts.app } : {}), ...(idleHours !== undefined ? { idleHours } : {}) } };
      const p = (await request<Pipeline>('PATCH', `/pipelines/${enc(pipeline)}`, { body })).data;
      print(
        `Review apps on for ${p.name}: git push yb BRANCH to ${p.reviewApps!.parent} makes ${p.reviewApps!.parent}-BRANCH; destroyed after ${p.reviewApps!.idleHours} idle hours or when the branch is deleted.`,
      );
    });

  program
    .command('reviewapps:disable')
    .description('stop making review apps from branch pushes (existing ones stay until destroyed)')
    .option('-p, --pipeline <name>')
    .addHelpText('after', '\nExample:\n  yb reviewapps:disable -p shop')
    .action(async (opts: { pipeline?: string }) => {
      const pipeline = needPipeline(opts.pipeline);
      await request('PATCH', `/pipelines/${enc(pipeline)}`, { body: { reviewApps: null } });
      print(`Review apps off for ${pipeline}.`);
    });

  program
    .command('reviewapps')
    .description("the pipeline's review apps")
    .option('-p, --pipeline <name>')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  yb reviewapps -p shop')
    .action(async (opts: { pipeline?: string; json?: boolean }) => {
      const list = await get<ReviewApp[]>(`/pipelines/${enc(needPipeline(opts.pipeline))}/review-apps`);
      if (opts.json) return printJson(list);
      if (list.length === 0) return print('No review apps.');
      table(
        ['APP', 'BRANCH', 'LAST PUSH', 'SERVICES'],
        list.map((r) => [r.app, r.branch, r.lastPushAt, r.services.join(', ') || '-']),
      );
    });

  program
    .command('reviewapps:create')
    .argument('<branch>')
    .description('create (or redeploy) the review app of a branch already pushed to the review parent')
    .option('-p, --pipeline <name>')
    .addHelpText('after', '\nExample:\n  yb reviewapps:create feature-login -p shop')
    .action(async (branch: string, opts: { pipeline?: string }) => {
      const pipeline = needPipeline(opts.pipeline);
      const ok = await streamDeployPost(`/pipelines/${enc(pipeline)}/review-apps`, JSON.stringify({ branch }), 'application/json');
      if (!ok) process.exit(ERRORS.YB_ERR_DEPLOY_FAILED.exit);
    });

  program
    .command('reviewapps:destroy')
    .argument('<branch>')
    .description('destroy the review app of a branch, with its services')
    .option('-p, --pipeline <name>')
    .addHelpText('after', '\nExample:\n  yb reviewapps:destroy feature-login -p shop')
    .action(async (branch: string, opts: { pipeline?: string }) => {
      const pipeline = needPipeline(opts.pipeline);
      const list = await get<ReviewApp[]>(`/pipelines/${enc(pipeline)}/review-apps`);
      const r = list.find((x) => x.branch === branch || x.app === branch);
      if (!r) throw new CliError(`pipeline ${pipeline} has no review app of branch ${branch}`, ERRORS.YB_ERR_NOT_FOUND.exit);
      await request('DELETE', `/pipelines/${enc(pipeline)}/review-apps/${enc(r.app)}`);
      print(`Destroyed review app ${r.app} of branch ${r.branch}${r.services.length ? ` and its services ${r.services.join(', ')}` : ''}.`);
    });
}
