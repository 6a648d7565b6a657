// A real etcd cluster of several members on loopback ports, for tests of what survives losing a member (YB_HA with
// YB_ETCD_ENDPOINTS, docs/architecture.md §9). Each member can be killed and started again on its data.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from './ports.js';
import { until } from './until.js';

export interface EtcdCluster {
  endpoints: string[];
  kill(i: number): void;
  start(i: number): Promise<void>;
  close(): Promise<void>;
}

export async function startEtcdCluster(size = 3): Promise<EtcdCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'yb-etcd-cluster-'));
  const ports = await freePorts(size * 2);
  const members = Array.from({ length: size }, (_, i) => ({ name: `m${i}`, client: ports[2 * i]!, peer: ports[2 * i + 1]! }));
  const initial = members.map((m) => `${m.name}=http://127.0.0.1:${m.peer}`).join(',');
  const children: Array<ChildProcess | undefined> = [];
  const endpoints = members.map((m) => `http://127.0.0.1:${m.client}`);
  const launch = (i: number, state: 'new' | 'existing') => {
    const m = members[i]!;
    children[i] = spawn(
      'etcd',
      [
        `--name=${m.name}`,
        `--data-dir=${join(dir, m.name)}`,
        `--listen-client-urls=http://127.0.0.1:${m.client}`,
        `--advertise-client-urls=http://127.0.0.1:${m.client}`,
        `--listen-peer-urls=http://127.0.0.1:${m.peer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${m.peer}`,
        `--initial-cluster=${initial}`,
        `--initial-cluster-state=${state}`,
        '--initial-cluster-token=yb-test',
        '--log-level=error',
      ],
      { stdio: 'ignore' },
    );
  };
  const healthy = async (i: number) => {
    try {
      const res = await fetch(`${endpoints[i]}/health`, { signal: AbortSignal.timeout(1000) });
      return res.ok && ((await res.json()) as { health?: string }).health === 'true';
    } catch {
      return false;
    }
  };
  for (let i = 0; i < size; i++) launch(i, 'new');
  for (let i = 0; i < size; i++) await until(`etcd member ${i} healthy`, () => healthy(i), 30_000);
  return {
    endpoints,
    kill(i) {
      children[i]?.kill('SIGKILL');
      children[i] = undefined;
    },
    async start(i) {
      launch(i, 'existing');
      await until(`etcd member ${i} healthy again`, () => healthy(i), 30_000);
    },
    async close() {
      const alive = children.filter((c): c is ChildProcess => Boolean(c && c.exitCode === null));
      await Promise.all(alive.map((c) => new Promise((r) => (c.once('exit', r), c.kill('SIGKILL')))));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
