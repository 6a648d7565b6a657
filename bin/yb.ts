#!/usr/bin/env node
// yb: the Yunbang command line, Heroku-style `topic:command` verbs over the REST API.
import { Command, CommanderError } from 'commander';
import { CliError } from '../src/cli/client.js';
import { c } from '../src/cli/output.js';
import { registerAuth } from '../src/cli/commands/auth.js';
import { registerApps } from '../src/cli/commands/apps.js';
import { registerConfig } from '../src/cli/commands/config.js';
import { registerReleases } from '../src/cli/commands/releases.js';
import { registerPs, registerScale } from '../src/cli/commands/ps.js';
import { registerLogs } from '../src/cli/commands/logs.js';
import { registerDrains } from '../src/cli/commands/drains.js';
import { registerMetrics } from '../src/cli/commands/metrics.js';
import { registerBuilds } from '../src/cli/commands/builds.js';
import { registerCompletion } from '../src/cli/commands/completion.js';
import { addMissingExamples } from '../src/cli/help-examples.js';
import { registerServices } from '../src/cli/commands/services.js';
import { registerDeps } from '../src/cli/commands/deps.js';
import { registerTeams } from '../src/cli/commands/teams.js';
import { registerTokens } from '../src/cli/commands/tokens.js';
import { registerKeys } from '../src/cli/commands/keys.js';
import { registerAdminBackup, registerAdminRestore } from '../src/cli/commands/admin-backup.js';
import { registerEvents } from '../src/cli/commands/events.js';
import { registerRun } from '../src/cli/commands/run.js';
import { registerDeploy } from '../src/cli/commands/deploy.js';
import { registerDomains } from '../src/cli/commands/domains.js';
import { registerCerts } from '../src/cli/commands/certs.js';
import { registerMaintenance } from '../src/cli/commands/maintenance.js';
import { registerWebhooks } from '../src/cli/commands/webhooks.js';
import { registerCron } from '../src/cli/commands/cron.js';
import { registerAutoscale } from '../src/cli/commands/autoscale.js';
import { registerStorage } from '../src/cli/commands/storage.js';
import { registerVersion } from '../src/cli/commands/version.js';
import { PLATFORM_VERSION } from '../src/shared/version.js';

const program = new Command('yb')
  .description('Yunbang: git push your code, get a running app')
  .option('--debug', 'show the cause of errors')
  .version(PLATFORM_VERSION, '-V, --version', "this yb's version (yb version also asks the server)")
  .showHelpAfterError()
  .exitOverride();

registerAuth(program);
registerApps(program);
registerConfig(program);
registerReleases(program);
registerPs(program);
registerScale(program);
registerLogs(program);
registerDrains(program);
registerMetrics(program);
registerBuilds(program);
registerCompletion(program);
registerServices(program);
registerDeps(program);
registerTeams(program);
registerTokens(program);
registerKeys(program);
registerAdminBackup(program);
registerAdminRestore(program);
registerEvents(program);
registerRun(program);
registerDeploy(program);
registerDomains(program);
registerCerts(program);
registerMaintenance(program);
registerWebhooks(program);
registerCron(program);
registerAutoscale(program);
registerStorage(program);
registerVersion(program);
addMissingExamples(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
  const debug = process.argv.includes('--debug');
  if (err instanceof CliError) {
    process.stderr.write(`${c.red('error:')} ${err.message}\n`);
    if (err.hint) process.stderr.write(`${c.dim('hint:')} ${err.hint}\n`);
    if (debug && err.cause) process.stderr.write(`${String((err.cause as Error).stack ?? err.cause)}\n`);
    process.exit(err.exitCode);
  }
  process.stderr.write(`${c.red('error:')} ${(err as Error)?.message ?? String(err)}\n`);
  if (debug) process.stderr.write(`${(err as Error)?.stack ?? ''}\n`);
  process.exit(1);
});
