// A real S3-compatible server for tests: versitygw (scripts/s3/build.sh builds it once per machine) on a loopback port,
// with the test's own root keys and a fresh data directory (buckets are its sub-directories, objects its files).
// Restartable with other keys on the same data, to test a store that stops accepting the platform's keys.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.js';
import { until } from './until.js';

export interface S3Server {
  url: string;
  dataDir: string;
  access: string;
  secret: string;
  /** Makes a bucket (a directory of the posix backend). */
  bucket(name: string): string;
  /** Stops the server and starts it again on the same port and data with these keys. */
  restart(keys: { access: string; secret: string }): Promise<void>;
  stop(): Promise<void>;
}

const ROOT = resolve(import.meta.dirname, '..', '..');

export async function startS3Server(keys: { access: string; secret: string }): Promise<S3Server> {
  const { stdout } = await promisify(execFile)('bash', [join(ROOT, 'scripts', 's3', 'build.sh')], { maxBuffer: 1 << 20 });
  const bin = stdout.trim().split('\n').at(-1)!;
  const dataDir = mkdtempSync(join(tmpdir(), 'yb-s3-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  let output = '';
  const launch = async (k: { access: string; secret: string }) => {
    output = '';
    // Keys through the environment, not argv (other users of the machine can read argv).
    child = spawn(bin, ['--port', `127.0.0.1:${port}`, 'posix', dataDir], {
      env: { ...process.env, ROOT_ACCESS_KEY_ID: k.access, ROOT_SECRET_ACCESS_KEY: k.secret },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    await until(`versitygw listening on 127.0.0.1:${port}`, async () => {
      if (child!.exitCode !== null) throw new Error(`versitygw exited (${child!.exitCode}):\n${output}`);
      return fetch(`http://127.0.0.1:${port}/`).then(
        () => true,
        () => false,
      );
    });
  };
  const halt = async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  };
  await launch(keys);
  const server: S3Server = {
    url: `http://127.0.0.1:${port}`,
    dataDir,
    ...keys,
    bucket(name) {
      const dir = join(dataDir, name);
      mkdirSync(dir, { recursive: true });
      return dir;
    },
    async restart(k) {
      await halt();
      await launch(k);
    },
    async stop() {
      await halt();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}
