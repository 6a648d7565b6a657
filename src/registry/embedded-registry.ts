// Runs the real distribution registry (Debian's docker-registry) as a child process: the embedded default when
// YB_REGISTRY_PUSH is on and YB_REGISTRY_URL is unset. Owns that child, its config file and its data directory
// ($YB_DATA_DIR/registry), and its garbage collection, which needs the registry stopped. Knows nothing of releases.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderRegistryConfig } from './registry-config.js';
import { livePid, stopPid, writePid } from '../shared/pidfile.js';

export class RegistryUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RegistryUnavailableError';
  }
}

export interface EmbeddedRegistryOptions {
  /** $YB_DATA_DIR/registry: config.yml, data/, registry.pid. */
  dir: string;
  /** host:port (loopback). */
  addr: string;
  /** Where the registry's own output goes (a file descriptor or 'ignore'). */
  stdio?: 'ignore' | number;
  binary?: string;
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1000) })).ok;
  } catch {
    return false; // not up (yet): the caller polls until its deadline
  }
}

export class EmbeddedRegistry {
  readonly url: string;
  readonly dataDir: string;
  private readonly config: string;
  private readonly pidFile: string;
  private child: ChildProcess | null = null;
  private adopted: number | null = null;

  constructor(private readonly opts: EmbeddedRegistryOptions) {
    this.url = `http://${opts.addr}`;
    this.dataDir = join(opts.dir, 'data');
    this.config = join(opts.dir, 'config.yml');
    this.pidFile = join(opts.dir, 'registry.pid');
  }

  private get binary(): string {
    return this.opts.binary ?? 'docker-registry';
  }

  /** Starts the registry (or adopts the one a crashed ybd left on the address) and resolves once /v2/ answers. */
  async start(): Promise<void> {
    mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(this.config, renderRegistryConfig({ rootDirectory: this.dataDir, addr: this.opts.addr }), { mode: 0o600 });
    if (await answers(this.url)) {
      this.adopted = livePid(this.pidFile, this.config);
      if (this.adopted) return;
      throw new RegistryUnavailableError(
        `something else already answers as a registry at ${this.opts.addr}; set YB_REGISTRY_ADDR to a free address, or YB_REGISTRY_URL to use that registry`,
      );
    }
    const child = spawn(this.binary, ['serve', this.config], { stdio: ['ignore', this.opts.stdio ?? 'ignore', this.opts.stdio ?? 'ignore'] });
    let spawnError: Error | undefined;
    child.once('error', (err) => (spawnError = err));
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (spawnError) {
        throw new RegistryUnavailableError(
          `cannot start the image registry (${this.binary}): ${spawnError.message}; install it with "apt-get install docker-registry" or set YB_REGISTRY_URL`,
          { cause: spawnError },
        );
      }
      if (child.exitCode !== null) {
        throw new RegistryUnavailableError(
          `the embedded image registry exited with code ${child.exitCode}; is ${this.opts.addr} already in use? (set YB_REGISTRY_ADDR or YB_REGISTRY_URL)`,
        );
      }
      if (await answers(this.url)) {
        this.child = child;
        writePid(this.pidFile, child.pid);
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGKILL');
    throw new RegistryUnavailableError(`the embedded image registry did not answer at ${this.url} within 20 s`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    if (this.adopted) await stopPid(this.adopted);
    this.adopted = null;
  }

  /**
   * Stops the registry, runs its garbage collection (blobs no manifest references are deleted; it must not run
   * while the registry serves, or an upload in flight could lose its blobs), and starts it again. The caller
   * makes sure no push or pull is in flight (image-registry.ts).
   */
  async collectGarbage(): Promise<string> {
    // Nothing pushed yet: the collector fails on a store without repositories, and there is nothing to reclaim.
    if (!existsSync(join(this.dataDir, 'docker', 'registry', 'v2', 'repositories'))) return '';
    await this.stop();
    try {
      return await new Promise<string>((resolve, reject) => {
        execFile(this.binary, ['garbage-collect', this.config], { timeout: 600_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
          if (err)
            reject(new RegistryUnavailableError(`registry garbage collection failed: ${(stderr || err.message).trim().split('\n').at(-1)}`, { cause: err }));
          else resolve(stdout);
        });
      });
    } finally {
      await this.start();
    }
  }
}
