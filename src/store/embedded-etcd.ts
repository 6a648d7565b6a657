// Runs the real etcd binary as a child process (the embedded default when YB_ETCD_ENDPOINTS is unset, and the
// etcd of every test). Owns only that child and its data directory; knows nothing of platform keys.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export interface EmbeddedEtcd {
  endpoint: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export interface EmbeddedEtcdOptions {
  dataDir: string;
  clientPort: number;
  /** Peer port; defaults to clientPort + 1. */
  peerPort?: number;
  /** Where etcd's own output goes (a file descriptor or 'ignore'). */
  stdio?: 'ignore' | 'inherit' | number;
  binary?: string;
}

export class EtcdUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EtcdUnavailableError';
  }
}

async function healthy(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) });
    if (!res.ok) return false;
    const body = (await res.json()) as { health?: string };
    return body.health === 'true';
  } catch {
    return false; // not up yet: the caller polls until its deadline
  }
}

/** Starts etcd and resolves once it answers /health; rejects with one clear sentence if it cannot. */
export async function startEmbeddedEtcd(opts: EmbeddedEtcdOptions): Promise<EmbeddedEtcd> {
  const binary = opts.binary ?? 'etcd';
  const peerPort = opts.peerPort ?? opts.clientPort + 1;
  const endpoint = `http://127.0.0.1:${opts.clientPort}`;
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const args = [
    '--name',
    'yunbang',
    '--data-dir',
    join(opts.dataDir, 'member-data'),
    '--listen-client-urls',
    endpoint,
    '--advertise-client-urls',
    endpoint,
    '--listen-peer-urls',
    `http://127.0.0.1:${peerPort}`,
    '--initial-advertise-peer-urls',
    `http://127.0.0.1:${peerPort}`,
    '--initial-cluster',
    `yunbang=http://127.0.0.1:${peerPort}`,
    '--initial-cluster-state',
    existsSync(join(opts.dataDir, 'member-data')) ? 'existing' : 'new',
    '--auto-compaction-retention',
    '1',
    '--quota-backend-bytes',
    String(2 * 1024 * 1024 * 1024),
    '--log-level',
    'warn',
    '--logger',
    'zap',
  ];
  const child = spawn(binary, args, { stdio: ['ignore', opts.stdio ?? 'ignore', opts.stdio ?? 'ignore'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let spawnError: Error | undefined;
  child.once('error', (err) => (spawnError = err));

  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (spawnError) {
      throw new EtcdUnavailableError(
        `cannot start etcd (${binary}): ${spawnError.message}; install it with "apt-get install etcd-server" or set YB_ETCD_ENDPOINTS`,
        { cause: spawnError },
      );
    }
    if (child.exitCode !== null) {
      throw new EtcdUnavailableError(
        `embedded etcd exited with code ${child.exitCode}; is port ${opts.clientPort} or ${peerPort} already in use? (set YB_ETCD_PORT or YB_ETCD_ENDPOINTS)`,
      );
    }
    if (await healthy(endpoint)) {
      return {
        endpoint,
        child,
        async stop() {
          if (child.exitCode !== null) return;
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(timer);
        },
      };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new EtcdUnavailableError(`embedded etcd did not become healthy at ${endpoint} within 20 s`);
}
