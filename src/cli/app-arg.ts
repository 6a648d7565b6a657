// Which app a command acts on: -a/--app, else the app of the `yb` git remote in the current repository.
import { execFileSync } from 'node:child_process';
import { CliError } from './client.js';

export function appFromRemote(remote = 'yb'): string | undefined {
  try {
    const url = execFileSync('git', ['remote', 'get-url', remote], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    return /\/([a-z0-9-]+)\.git$/.exec(url)?.[1];
  } catch {
    return undefined; // not a git repository, or no such remote
  }
}

export function requireApp(opt: string | undefined): string {
  const app = opt ?? appFromRemote();
  if (!app) throw new CliError('no app given', 2, 'pass -a APP, or run inside a git repository with a "yb" remote (yb git:remote -a APP)');
  return app;
}

export const enc = encodeURIComponent;
