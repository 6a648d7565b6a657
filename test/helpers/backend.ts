// The runtime backend the integration suite runs on (YB_TEST_RUNTIME=docker|kubernetes, docs/architecture.md §6) and
// a probe of what tests check behind the platform's back: its processes, a crash, an exec, the services' volumes.
// The probe uses each backend's own tool (docker CLI, the cluster's kubectl), never src/runtime: a test must not use the
// code it checks.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test, type TestContext } from 'node:test';

const run = promisify(execFile);

export type Backend = 'docker' | 'kubernetes';

/** The backend of this test run; anything but the two names is a mistake in the run's set-up, not a skip. */
export function testBackend(env: NodeJS.ProcessEnv = process.env): Backend {
  const v = env.YB_TEST_RUNTIME ?? 'docker';
  if (v !== 'docker' && v !== 'kubernetes') throw new Error(`YB_TEST_RUNTIME must be docker or kubernetes, not "${v}"`);
  return v;
}

export const BACKEND: Backend = testBackend();

/** The cluster of a kubernetes run: scripts/test.sh exports it from scripts/k8s-up.sh's env file. */
export function testCluster(): { kubeconfig: string; registryUrl: string } {
  const kubeconfig = process.env.YB_TEST_KUBECONFIG ?? '';
  const registryUrl = process.env.YB_TEST_REGISTRY_URL ?? '';
  if (!kubeconfig || !registryUrl)
    throw new Error('YB_TEST_RUNTIME=kubernetes needs YB_TEST_KUBECONFIG and YB_TEST_REGISTRY_URL (scripts/test.sh sets them from scripts/k8s-up.sh)');
  return { kubeconfig, registryUrl };
}

/**
 * The kubectl of the test cluster's own build (a fresh machine has no other): YB_TEST_KUBECTL (scripts/test.sh sets
 * it), else the bin directory scripts/k8s/build.sh prints (cached after the first build), as k8s-drain.test.ts does.
 */
let kubectlPath: Promise<string> | undefined;
function kubectlBinary(): Promise<string> {
  kubectlPath ??= process.env.YB_TEST_KUBECTL
    ? Promise.resolve(process.env.YB_TEST_KUBECTL)
    : run('bash', [join(import.meta.dirname, '..', '..', 'scripts', 'k8s', 'build.sh')]).then(({ stdout }) =>
        join(stdout.trim().split('\n').at(-1) ?? '', 'kubectl'),
      );
  return kubectlPath;
}

/** The ybd settings that select this run's backend. */
export function backendEnv(): Record<string, string> {
  if (BACKEND === 'docker') return { YB_RUNTIME: 'docker' };
  const c = testCluster();
  return { YB_RUNTIME: 'kubernetes', YB_KUBECONFIG: c.kubeconfig, YB_REGISTRY_URL: c.registryUrl };
}

/**
 * A test that checks something only the Docker backend has (engine labels, Docker networks): on kubernetes it runs
 * nothing and says so in the output (a diagnostic), never a silent skip. `why` names what is Docker-only.
 */
export function dockerOnly(name: string, why: string, fn: (t: TestContext) => Promise<void>): void {
  if (BACKEND === 'docker') test(name, fn);
  else test(name, (t) => t.diagnostic(`docker-only, not run on ${BACKEND}: ${why}`));
}

/** One process of the platform as the backend shows it: a container, or a pod. */
export interface Proc {
  /** The runtime's id of it, as `yb ps --json` shows it (`container`): a container id, or `<namespace>/<object>`. */
  id: string;
  app?: string;
  release?: string;
  running: boolean;
}

export interface Selector {
  app?: string;
  kind?: 'process' | 'run' | 'service';
  service?: string;
}

/** What a test asks the backend directly. */
export interface Probe {
  /** Every process of the instance matching `sel`, running or not (exited containers, terminating pods). */
  processes(sel: Selector): Promise<Proc[]>;
  /** Kills the program `name` of process `id` with SIGKILL, as a crash would (the platform must restart it). */
  crash(id: string, name: string): Promise<void>;
  /** Runs `argv` inside the process `id` (as the process's user); its stdout. Fails when the command fails. */
  exec(id: string, argv: string[]): Promise<string>;
  /** The process's address on its team's network (container IP, pod IP). */
  ip(id: string, team: string): Promise<string>;
  /** The names of the services' data volumes that exist (Docker volumes; host-path directories on the nodes). */
  volumes(): Promise<string[]>;
  /** Removes every data volume of the instance (after the platform stopped). */
  removeVolumes(): Promise<void>;
  /** Removes what the instance made in the backend beyond what the platform's own stop removes. */
  cleanup(): Promise<void>;
  /** How the router's upstream address of a process looks (published loopback port, pod IP). */
  addressPattern: RegExp;
}

/** The probe of this run's backend for a platform instance (`dataDir`: its YB_DATA_DIR). */
export function probe(instance: string, dataDir: string, backend: Backend = BACKEND): Probe {
  return backend === 'docker' ? dockerProbe(instance) : kubernetesProbe(instance, dataDir);
}

function dockerProbe(instance: string): Probe {
  const filters = (sel: Selector) =>
    Object.entries({ 'yunbang.instance': instance, 'yunbang.app': sel.app, 'yunbang.kind': sel.kind, 'yunbang.service': sel.service })
      .filter(([, v]) => v !== undefined)
      .flatMap(([k, v]) => ['--filter', `label=${k}=${v}`]);
  const volumeNames = async () => {
    const { stdout } = await run('docker', ['volume', 'ls', '-q', '--filter', `label=yunbang.instance=${instance}`]);
    return stdout.trim().split('\n').filter(Boolean);
  };
  return {
    async processes(sel) {
      const { stdout } = await run('docker', [
        'ps',
        '-a',
        ...filters(sel),
        '--format',
        '{{.ID}} {{.Label "yunbang.app"}} {{.Label "yunbang.release"}} {{.State}}',
      ]);
      return lines(stdout).map((l) => {
        const [id, app, release, state] = l.split(' ');
        return { id: id!, app: app || undefined, release: release || undefined, running: state === 'running' };
      });
    },
    async crash(id, name) {
      await run('docker', ['exec', id, 'pkill', '-9', '-x', name]);
    },
    async exec(id, argv) {
      return (await run('docker', ['exec', id, ...argv])).stdout;
    },
    async ip(id, team) {
      const network = `${instance}-team-${team}`;
      return (await run('docker', ['inspect', '-f', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, id])).stdout.trim();
    },
    volumes: volumeNames,
    async removeVolumes() {
      const names = await volumeNames();
      if (names.length) await run('docker', ['volume', 'rm', ...names]);
    },
    async cleanup() {
      // platform.ts cleanupDocker removes the containers, networks and images; volumes are the services tests' own.
    },
    addressPattern: /\d+\.\d+\.\d+\.\d+:\d+/,
  };
}

interface Pod {
  metadata: { name: string; namespace: string; labels?: Record<string, string>; deletionTimestamp?: string };
  status?: { phase?: string; podIP?: string };
}

function kubernetesProbe(instance: string, dataDir: string): Probe {
  const kubectl = async (args: string[]) =>
    (await run(await kubectlBinary(), ['--kubeconfig', testCluster().kubeconfig, ...args], { maxBuffer: 64 << 20 })).stdout;
  const selector = (sel: Selector) =>
    Object.entries({ 'yunbang.instance': instance, 'yunbang.app': sel.app, 'yunbang.kind': sel.kind, 'yunbang.service': sel.service })
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
  const pods = async (sel: Selector) => (JSON.parse(await kubectl(['get', 'pods', '-A', '-l', selector(sel), '-o', 'json'])) as { items: Pod[] }).items;
  // A runtime id names the process's ReplicaSet or StatefulSet (`<namespace>/<object>`); its live pod runs it.
  const podOf = async (id: string) => {
    const [namespace, object] = id.split('/');
    const live = (await pods({})).filter(
      (p) => p.metadata.namespace === namespace && p.metadata.labels?.['yunbang.object'] === object && !p.metadata.deletionTimestamp,
    );
    if (!live[0]) throw new Error(`no live pod of ${id}`);
    return live[0];
  };
  // Services keep their data in host-path directories under the data dir (YB_KUBE_VOLUMES_DIR unset), one per volume.
  const volumesDir = join(dataDir, 'volumes');
  return {
    async processes(sel) {
      return (await pods(sel)).map((p) => ({
        id: `${p.metadata.namespace}/${p.metadata.labels?.['yunbang.object'] ?? p.metadata.name}`,
        app: p.metadata.labels?.['yunbang.app'],
        release: p.metadata.labels?.['yunbang.release'],
        running: p.status?.phase === 'Running' && !p.metadata.deletionTimestamp,
      }));
    },
    async crash(id, name) {
      // Without Docker's init the program may be the container's PID 1, which ignores a SIGKILL sent from inside its
      // own PID namespace; so it is killed from the node, found by its container's id in its cgroup (the test
      // cluster's nodes run on this machine).
      const pod = await podOf(id);
      const containerId = (
        await kubectl(['get', 'pod', '-n', pod.metadata.namespace, pod.metadata.name, '-o', 'jsonpath={.status.containerStatuses[0].containerID}'])
      )
        .trim()
        .replace(/^[a-z]+:\/\//, '');
      if (!/^[0-9a-f]{64}$/.test(containerId)) throw new Error(`pod ${pod.metadata.name} has no running container (${containerId})`);
      const pids = readdirSync('/proc').filter(
        (d) => /^\d+$/.test(d) && readable(`/proc/${d}/cgroup`).includes(containerId) && readable(`/proc/${d}/comm`).trim() === name,
      );
      if (!pids.length) throw new Error(`no process named ${name} in the container of ${id}`);
      for (const pid of pids) process.kill(Number(pid), 'SIGKILL');
    },
    async exec(id, argv) {
      const pod = await podOf(id);
      return kubectl(['exec', '-n', pod.metadata.namespace, pod.metadata.name, '-c', 'main', '--', ...argv]);
    },
    async ip(id) {
      return (await podOf(id)).status?.podIP ?? '';
    },
    async volumes() {
      try {
        return readdirSync(volumesDir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw err;
      }
    },
    async removeVolumes() {
      rmSync(volumesDir, { recursive: true, force: true });
    },
    async cleanup() {
      // Namespaces carry the instance's label (src/runtime/kubernetes/kube-objects.ts); deleting one removes its pods,
      // sets, services, secrets and policies. Not waited for: a later run uses another instance name.
      await kubectl(['delete', 'namespace', '-l', `yunbang.instance=${instance}`, '--wait=false']);
    },
    addressPattern: /\d+\.\d+\.\d+\.\d+:\d+/,
  };
}

/** A /proc file's text, or '' when the process has gone meanwhile. */
function readable(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

const lines = (s: string) => s.trim().split('\n').filter(Boolean);
