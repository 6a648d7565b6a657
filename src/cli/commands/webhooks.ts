// git:sync (fetch a remote repository's commit and deploy it, as Dokku's git:sync) and webhooks, webhooks:enable,
// webhooks:disable, webhooks:rotate, webhooks:deliveries (deploy on a push to GitHub, GitLab or Gitea).
import type { Command } from 'commander';
import { request, get } from '../client.js';
import { requireApp, enc } from '../app-arg.js';
import { print, printJson, table } from '../output.js';
import { ERRORS } from '../../shared/errors.js';
import { streamDeployPost } from './deploy.js';

interface Webhook {
  enabled: boolean;
  provider?: string;
  branch?: string;
  repo?: string;
  url?: string;
  secret?: string;
}

interface Delivery {
  id: string;
  at: string;
  event: string;
  status: number;
  outcome: string;
  message: string;
  commit?: string;
}

/** The lines after enabling or rotating: where to paste what on the provider's side. */
function printSetUp(app: string, w: Webhook): void {
  print(`Webhook of ${app}: pushes to ${w.branch} of ${w.repo} are deployed.`);
  print(`  Payload URL:  ${w.url}`);
  print(`  Content type: application/json`);
  print(`  Secret:       ${w.secret}`);
  print(
    w.provider === 'gitlab'
      ? 'Paste the secret as the "Secret token" of the GitLab webhook.'
      : `Paste it as the secret of the ${w.provider === 'gitea' ? 'Gitea' : 'GitHub'} webhook.`,
  );
}

export function registerWebhooks(program: Command): void {
  program
    .command('git:sync')
    .argument('<url>', 'an https://, http:// or git:// repository URL (a private one with a read token as the password)')
    .argument('[ref]', "a branch, tag or commit (default: the repository's HEAD)")
    .description('fetch a commit of a remote git repository and deploy it, the build streaming as for a push')
    .option('-a, --app <app>')
    .addHelpText('after', '\nExamples:\n  yb git:sync https://github.com/acme/shop.git -a shop\n  yb git:sync https://github.com/acme/shop.git v1.4.2 -a shop')
    .action(async (url: string, ref: string | undefined, opts: { app?: string }) => {
      const app = requireApp(opts.app);
      const ok = await streamDeployPost(`/apps/${enc(app)}/git-syncs`, JSON.stringify({ url, ...(ref ? { ref } : {}) }), 'application/json');
      if (!ok) process.exit(ERRORS.YB_ERR_BUILD_FAILED.exit);
    });

  program
    .command('webhooks')
    .description("the app's webhook: repository, branch and URL (not the secret)")
    .option('-a, --app <app>')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  yb webhooks -a shop')
    .action(async (opts: { app?: string; json?: boolean }) => {
      const app = requireApp(opts.app);
      const w = await get<Webhook>(`/apps/${enc(app)}/webhook`);
      if (opts.json) return printJson(w);
      if (!w.enabled) return print(`${app} has no webhook.`);
      print(`${w.provider} webhook: pushes to ${w.branch} of ${w.repo} are deployed.`);
      print(`  Payload URL: ${w.url}`);
    });

  program
    .command('webhooks:enable')
    .description('deploy the app on every push to a branch of a GitHub, GitLab or Gitea repository; prints the URL and secret')
    .option('-a, --app <app>')
    .requiredOption('--repo <url>', 'the repository commits are fetched from (https://, http:// or git://)')
    .option('--branch <branch>', 'the branch deployed', 'main')
    .option('--provider <provider>', 'github, gitlab or gitea', 'github')
    .addHelpText(
      'after',
      '\nExamples:\n  yb webhooks:enable -a shop --repo https://github.com/acme/shop.git\n  yb webhooks:enable -a shop --repo https://gitlab.example.com/acme/shop.git --branch release --provider gitlab',
    )
    .action(async (opts: { app?: string; repo: string; branch: string; provider: string }) => {
      const app = requireApp(opts.app);
      const w = (await request<Webhook>('PUT', `/apps/${enc(app)}/webhook`, { body: { repo: opts.repo, branch: opts.branch, provider: opts.provider } })).data;
      printSetUp(app, w);
    });

  program
    .command('webhooks:rotate')
    .description("give the app's webhook a new secret (the old one is refused from now on)")
    .option('-a, --app <app>')
    .addHelpText('after', '\nExample:\n  yb webhooks:rotate -a shop')
    .action(async (opts: { app?: string }) => {
      const app = requireApp(opts.app);
      printSetUp(app, (await request<Webhook>('POST', `/apps/${enc(app)}/webhook/rotate`)).data);
    });

  program
    .command('webhooks:disable')
    .description("remove the app's webhook (its URL answers 404 from now on)")
    .option('-a, --app <app>')
    .addHelpText('after', '\nExample:\n  yb webhooks:disable -a shop')
    .action(async (opts: { app?: string }) => {
      const app = requireApp(opts.app);
      await request('DELETE', `/apps/${enc(app)}/webhook`);
      print(`The webhook of ${app} is removed.`);
    });

  program
    .command('webhooks:deliveries')
    .description("the webhook's recent deliveries and what became of each (deployed, ignored, refused, failed)")
    .option('-a, --app <app>')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  yb webhooks:deliveries -a shop')
    .action(async (opts: { app?: string; json?: boolean }) => {
      const app = requireApp(opts.app);
      const list = await get<Delivery[]>(`/apps/${enc(app)}/webhook/deliveries`);
      if (opts.json) return printJson(list);
      if (!list.length) return print(`No deliveries to ${app}'s webhook yet.`);
      table(
        ['at', 'event', 'status', 'outcome', 'commit', 'message'],
        list.map((d) => [d.at, d.event, String(d.status), d.outcome, d.commit?.slice(0, 7) ?? '', d.message]),
      );
    });
}
