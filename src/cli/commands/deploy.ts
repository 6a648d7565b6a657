// builds:create (deploy a directory or tarball without git), deploy:image, images:import, buildpacks[:set|:clear].
import type { Command } from 'commander';
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { request, get, CliError } from '../client.js';
import { apiToken, apiUrl } from '../credentials.js';
import { requireApp, enc } from '../app-arg.js';
import { print, printJson, withSpinner } from '../output.js';
import { ERRORS } from '../../shared/errors.js';
import { relayStatusLines } from '../../shared/status-lines.js';

/** POSTs a stream and relays the streamed text response; resolves to whether it ended with the ok marker. */
/** POSTs `body` to a route that streams a deploy's output (source uploads, templates), relaying its lines; resolves to whether it succeeded. */
export async function streamDeployPost(path: string, body: Readable | string, contentType: string): Promise<boolean> {
  let res: Response;
  try {
    res = await fetch(`${apiUrl()}${path}`, {
      method: 'POST',
      headers: { 'content-type': contentType, authorization: `Bearer ${apiToken() ?? ''}` },
      ...(typeof body === 'string' ? { body } : { body: Readable.toWeb(body) as ReadableStream, duplex: 'half' }),
    } as RequestInit);
  } catch (err) {
    throw new CliError(`the Yunbang API is not reachable at ${apiUrl()}`, ERRORS.YB_ERR_API_UNREACHABLE.exit, 'start the platform with "npm start"', {
      cause: err,
    });
  }
  if (!res.ok) {
    const e = (await res.json().catch(() => ({}))) as { message?: string };
    throw new CliError(e.message ?? `HTTP ${res.status}`, res.status === 404 ? 4 : res.status === 403 || res.status === 401 ? 3 : 2);
  }
  const ok = await relayStatusLines(res.body as unknown as AsyncIterable<Uint8Array>, (line) => process.stdout.write(`${line}\n`));
  return ok;
}

export function registerDeploy(program: Command): void {
  program
    .command('builds:create')
    .description('build and deploy a directory or a tarball (no git needed)')
    .option('-a, --app <app>')
    .requiredOption('--source <path>', 'a directory, or a .tar / .tar.gz / .tgz file')
    .addHelpText('after', '\nExamples:\n  yb builds:create -a hello --source .\n  yb builds:create -a hello --source app.tgz')
    .action(async (opts: { app?: string; source: string }) => {
      const app = requireApp(opts.app);
      if (!existsSync(opts.source)) throw new CliError(`${opts.source} does not exist`, 2);
      let body: Readable;
      let type = 'application/x-tar';
      if (statSync(opts.source).isDirectory()) {
        const tar = spawn('tar', ['-C', opts.source, '--exclude=.git', '-cz', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
        body = tar.stdout;
        type = 'application/gzip';
      } else {
        body = createReadStream(opts.source);
        if (/\.(tgz|gz)$/.test(opts.source)) type = 'application/gzip';
      }
      const ok = await streamDeployPost(`/apps/${enc(app)}/builds`, body, type);
      if (!ok) process.exit(ERRORS.YB_ERR_BUILD_FAILED.exit);
    });

  program
    .command('deploy:image')
    .argument('<image>', 'an image present in the Docker engine, e.g. myorg/api:1.4')
    .description('release a prebuilt image')
    .option('-a, --app <app>')
    .addHelpText('after', '\nExample:\n  yb deploy:image myorg/api:1.4 -a api')
    .action(async (image: string, opts: { app?: string }) => {
      const app = requireApp(opts.app);
      await withSpinner(
        `Deploying ${image} to ${app}`,
        request<{ version: number }>('POST', `/apps/${enc(app)}/image-deploys`, { body: { image } }),
        (r) => `v${r.data.version} is live`,
      );
    });

  program
    .command('images:import')
    .argument('<file>', 'an image archive made by "docker save" (.tar or .tar.gz)')
    .description('load an image into the engine for your team, whose apps may then deploy it')
    .option('--team <team>', 'the team the image is for (needed when you can deploy in more than one)')
    .action(async (file: string, opts: { team?: string }) => {
      if (!existsSync(file)) throw new CliError(`${file} does not exist`, 2);
      const res = await fetch(`${apiUrl()}/images${opts.team ? `?team=${encodeURIComponent(opts.team)}` : ''}`, {
        method: 'POST',
        headers: { 'content-type': /\.(tgz|gz)$/.test(file) ? 'application/gzip' : 'application/x-tar', authorization: `Bearer ${apiToken() ?? ''}` },
        body: Readable.toWeb(createReadStream(file)) as ReadableStream,
        duplex: 'half',
      } as RequestInit);
      const data = (await res.json()) as { loaded?: string[]; team?: string; message?: string };
      if (!res.ok) throw new CliError(data.message ?? `HTTP ${res.status}`, res.status === 403 ? 3 : 2);
      print(`Loaded ${data.loaded!.join(', ')} for team ${data.team}`);
    });

  program
    .command('buildpacks')
    .description('show the buildpack override of an app')
    .option('-a, --app <app>')
    .option('--json', 'print JSON')
    .action(async (opts: { app?: string; json?: boolean }) => {
      const a = await get<{ buildpack?: string }>(`/apps/${enc(requireApp(opts.app))}`);
      if (opts.json) return printJson({ buildpack: a.buildpack ?? null });
      print(a.buildpack ?? '(detected automatically)');
    });

  program
    .command('buildpacks:set')
    .argument('<buildpack>', 'a shipped buildpack (nodejs, python, go, …), a tarball URL (.tgz/.tar.gz), a git URL (.git, optional #ref) or an absolute path')
    .description('always build the app with this buildpack')
    .option('-a, --app <app>')
    .action(async (buildpack: string, opts: { app?: string }) => {
      await request('PATCH', `/apps/${enc(requireApp(opts.app))}`, { body: { buildpack } });
      print(`Buildpack set to ${buildpack}; it is used from the next build.`);
    });

  program
    .command('buildpacks:clear')
    .description('go back to automatic detection')
    .option('-a, --app <app>')
    .action(async (opts: { app?: string }) => {
      await request('PATCH', `/apps/${enc(requireApp(opts.app))}`, { body: { buildpack: '' } });
      print('Buildpack detection is automatic again.');
    });
}
