// A Docker engine of the test's own (dockerd with its own socket, data and exec roots, address pool and no iptables
// rules), for tests that stop and restart the engine: the machine's engine is shared with every other test. Its
// containerd is its own too (dockerd starts one under the exec root). Loopback and its own bridges only.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { until } from './until.js';

const run = promisify(execFile);

export interface PrivateEngine {
  /** DOCKER_HOST of this engine. */
  host: string;
  /** Stops the engine (SIGTERM, as a service manager does) and starts it again with `liveRestore`; resolves once it answers, to the seconds it was away. */
  restart(o: { liveRestore: boolean }): Promise<number>;
  /** Runs the docker CLI against this engine. */
  docker(args: string[]): Promise<string>;
  /** Removes every container, stops the engine and deletes its directories. */
  destroy(): Promise<void>;
}

/** Starts the engine with `pool` as its address pool (a /16 no other engine or cluster uses) and loads `images` from the machine's engine. */
export async function startPrivateEngine(o: { pool: string; liveRestore: boolean; images: string[] }): Promise<PrivateEngine> {
  const id = randomBytes(3).toString('hex');
  const dataRoot = `/var/lib/yb-test-engine-${id}`;
  const execRoot = `/run/ybe-${id}`; // short: containerd's socket path lives under it
  const socket = `/run/ybe-${id}.sock`;
  const host = `unix://${socket}`;
  const logFile = `/tmp/yb-test-engine-${id}.log`;
  mkdirSync(dataRoot, { recursive: true });
  let child: ChildProcess | undefined;

  const docker = async (args: string[]) => (await run('docker', ['-H', host, ...args], { maxBuffer: 64 * 1024 * 1024 })).stdout;
  const answers = () =>
    docker(['info', '--format', '{{.ServerVersion}}']).then(
      () => true,
      () => false,
    );
  const start = async (liveRestore: boolean) => {
    const args = [
      `--host=${host}`,
      `--data-root=${dataRoot}`,
      `--exec-root=${execRoot}`,
      `--pidfile=${execRoot}.pid`,
      '--iptables=false',
      '--bridge=none',
      `--default-address-pool=base=${o.pool},size=24`,
      ...(liveRestore ? ['--live-restore'] : []),
    ];
    const log = openSync(logFile, 'a');
    child = spawn('dockerd', args, { stdio: ['ignore', log, log], detached: true });
    await until('the private Docker engine answers', answers, 60_000);
  };
  const stop = async () => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await exited;
  };

  await start(o.liveRestore);
  for (const image of o.images) {
    // docker save | docker -H … load: the machine's engine holds the base images; nothing is pulled.
    await new Promise<void>((resolve, reject) => {
      const save = spawn('docker', ['save', image], { stdio: ['ignore', 'pipe', 'inherit'] });
      const load = spawn('docker', ['-H', host, 'load', '-q'], { stdio: ['pipe', 'ignore', 'inherit'] });
      save.stdout.pipe(load.stdin);
      load.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`loading ${image} into the private engine failed (${code})`))));
    });
  }

  return {
    host,
    docker,
    async restart(r) {
      const t0 = Date.now();
      await stop();
      await start(r.liveRestore);
      return (Date.now() - t0) / 1000;
    },
    async destroy() {
      const ids = (await docker(['ps', '-aq']).catch(() => '')).trim();
      if (ids) await docker(['rm', '-f', ...ids.split('\n')]).catch(() => undefined);
      const nets = (await docker(['network', 'ls', '-q', '--filter', 'type=custom']).catch(() => '')).trim();
      if (nets) await docker(['network', 'rm', ...nets.split('\n')]).catch(() => undefined);
      await stop();
      // The engine unmounts its layers when it stops; whatever is left mounted under its roots goes now.
      const mounts = (await run('awk', ['{print $2}', '/proc/mounts'])).stdout.split('\n').filter((m) => m.startsWith(dataRoot) || m.startsWith(execRoot));
      for (const m of mounts.reverse()) await run('umount', ['-l', m]).catch(() => undefined);
      rmSync(dataRoot, { recursive: true, force: true });
      rmSync(execRoot, { recursive: true, force: true });
      rmSync(socket, { force: true });
    },
  };
}
