// A Composer repository for the PHP build test (issue #20): packages.json and one dist zip (made with `git archive`
// from test/fixtures/composer/greeting), served over HTTP by a container of the stack image on Docker's default
// bridge, where build containers reach it (they cannot reach the host's loopback). Removed by close().
import { execFile } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { until } from '../../helpers/until.js';
import { ROOT } from '../../helpers/platform.js';

const run = promisify(execFile);
const PORT = 8080;

export interface ComposerRepo {
  /** The repository URL (what YB_COMPOSER_REPO names). */
  url: string;
  close(): Promise<void>;
}

export async function startComposerRepo(): Promise<ComposerRepo> {
  const id = randomBytes(4).toString('hex');
  const name = `yb-test-composer-${id}`;
  const dir = mkdtempSync(join(tmpdir(), 'yb-composer-repo-'));
  const pkg = join(dir, 'src');
  const www = join(dir, 'www');
  cpSync(join(ROOT, 'test/fixtures/composer/greeting'), pkg, { recursive: true });
  mkdirSync(www);
  const git = (args: string[]) => run('git', args, { cwd: pkg });
  await git(['init', '-q']);
  await git(['add', '.']);
  await git(['-c', 'user.name=yb', '-c', 'user.email=yb@localhost', 'commit', '-qm', 'greeting 1.0.0']);
  await git(['archive', '--format=zip', '-o', join(www, 'greeting-1.0.0.zip'), 'HEAD']);
  chmodSync(dir, 0o755);
  chmodSync(www, 0o755);
  chmodSync(join(www, 'greeting-1.0.0.zip'), 0o644);

  await run('docker', [
    'run',
    '-d',
    '--rm',
    '--name',
    name,
    '--label',
    'yunbang.test=composer-repo',
    '-e',
    'YB_STATIC_ROOT=/srv',
    '-e',
    `PORT=${PORT}`,
    '-v',
    `${www}:/srv:ro`,
    '-v',
    `${join(ROOT, 'buildpacks/static/lib/server.pl')}:/server.pl:ro`,
    'yunbang/stack:latest',
    'perl',
    '/server.pl',
  ]);
  const close = async () => {
    await run('docker', ['rm', '-f', name]).catch(() => undefined); // already gone: nothing to remove
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ip = (await run('docker', ['inspect', '-f', '{{.NetworkSettings.IPAddress}}', name])).stdout.trim();
    if (!ip) throw new Error(`the Composer repository container ${name} has no address on the default bridge`);
    const url = `http://${ip}:${PORT}`;
    const manifest = JSON.parse(readFileSync(join(pkg, 'composer.json'), 'utf8')) as Record<string, unknown>;
    const packages = {
      packages: {
        'yunbang-fixtures/greeting': {
          '1.0.0': { ...manifest, version: '1.0.0', dist: { type: 'zip', url: `${url}/greeting-1.0.0.zip` } },
        },
      },
    };
    writeFileSync(join(www, 'packages.json'), JSON.stringify(packages, null, 2));
    chmodSync(join(www, 'packages.json'), 0o644);
    await until('the Composer repository answers', async () => (await fetch(`${url}/packages.json`).catch(() => undefined))?.ok, 30_000);
    return { url, close };
  } catch (err) {
    await close();
    throw err;
  }
}
