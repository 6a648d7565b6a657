// Bare git repositories of apps under $YB_DATA_DIR/repos, each with our pre-receive hook installed.
// Owns repo paths and hook installation; never runs a build itself.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export function repoPath(dataDir: string, app: string): string {
  return join(dataDir, 'repos', `${app}.git`);
}

function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The hook script: runs pre-receive.js with this Node (through tsx when running from TypeScript sources). */
export function hookScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const js = join(here, 'pre-receive.js');
  const args = existsSync(js) ? [process.execPath, js] : [process.execPath, '--import', 'tsx', join(here, 'pre-receive.ts')];
  return `#!/bin/sh\n# Installed by Yunbang: builds and deploys pushes to main/master.\nexec ${args.map(quote).join(' ')}\n`;
}

/** Creates the app's bare repo if missing and (re)installs the hook; returns its path. */
export async function ensureRepo(dataDir: string, app: string): Promise<string> {
  const dir = repoPath(dataDir, app);
  if (!existsSync(join(dir, 'HEAD'))) {
    await mkdir(dir, { recursive: true });
    await run('git', ['init', '--bare', '--quiet', '--initial-branch=main', dir]);
    await run('git', ['-C', dir, 'config', 'receive.denyNonFastForwards', 'false']);
    await run('git', ['-C', dir, 'config', 'http.receivepack', 'true']);
  }
  await writeFile(join(dir, 'hooks', 'pre-receive'), hookScript(), { mode: 0o755 });
  return dir;
}

export async function removeRepo(dataDir: string, app: string): Promise<void> {
  await rm(repoPath(dataDir, app), { recursive: true, force: true });
}
