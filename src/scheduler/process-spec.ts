// The pure conversion from the app model to what the runtime runs (docs/architecture.md §6), in the manner of
// rainbond's model→objects conversion: a process's name, command, environment, size, network aliases and
// workload identity. The scheduler plans with it; `yb run` and the release phase take their environment from it.
import type { ProcessSpec, TaskSpec, Workload } from '../runtime/runtime.js';
import type { AppRecord, FormationRecord, ReleaseRecord } from '../release/app-records.js';
import { parseSize } from './sizes.js';

/** The command of a process: buildpack slugs go through yb-launch; images keep their own default. */
export function processCommand(release: Pick<ReleaseRecord, 'builder'>, command: string): string[] | undefined {
  if (release.builder === 'buildpacks') return ['/usr/local/bin/yb-launch', command];
  return command ? ['/bin/sh', '-c', command] : undefined;
}

/** The environment every process of a release gets: its config, then what the platform sets (wins over config). */
export function processEnv(app: Pick<AppRecord, 'name'>, release: Pick<ReleaseRecord, 'config' | 'port' | 'version'>, dyno: string): Record<string, string> {
  return { ...release.config, PORT: String(release.port), DYNO: dyno, YB_APP: app.name, YB_RELEASE: `v${release.version}` };
}

/** Names are global to a backend, so they carry the platform instance (several may share one engine or cluster). */
export function processName(instance: string, app: string, type: string, index: number, release: number, gen: string): string {
  return `${instance}.${app}.${type}.${index}.v${release}.${gen}`;
}

/** The key of a web process's endpoint under the app's endpoints (router records). */
export function endpointInstance(release: number, index: number, gen: string): string {
  return `v${release}.${index}.${gen}`;
}

/** Process `index` (from 1) of type `f.type` of `release`, on the team network `network`. */
export function processSpec(
  instance: string,
  app: Pick<AppRecord, 'name' | 'team'>,
  release: ReleaseRecord,
  f: Pick<FormationRecord, 'type' | 'size'>,
  index: number,
  gen: string,
  network: string,
  volumes: Array<{ name: string; path: string }> = [],
): ProcessSpec {
  const web = f.type === 'web';
  const size = parseSize(f.size);
  const workload: Workload = { kind: 'process', app: app.name, team: app.team, release: release.version, type: f.type, index, gen };
  return {
    name: processName(instance, app.name, f.type, index, release.version, gen),
    workload,
    image: release.imageId || release.image,
    command: processCommand(release, release.processTypes[f.type] ?? ''),
    env: processEnv(app, release, `${f.type}.${index}`),
    ...(web ? { port: release.port } : {}),
    ...(web && release.manifest?.healthchecks[f.type]?.[0] ? { readinessPath: release.manifest.healthchecks[f.type]![0]!.path } : {}),
    ...(size.memoryBytes ? { memoryBytes: size.memoryBytes } : {}),
    ...(size.nanoCpus ? { nanoCpus: size.nanoCpus } : {}),
    network,
    // Other apps of the team reach the web process by the app's name, other types by app.type.
    aliases: web ? [app.name] : [`${app.name}.${f.type}`],
    restart: 'on-failure',
    ...(volumes.length ? { volumes } : {}),
  };
}

/** A one-off of `release` running `command` (release phase, deploy scripts, `yb run`) with the web process's size. */
export function oneOffSpec(
  app: Pick<AppRecord, 'name' | 'team'>,
  release: ReleaseRecord,
  command: string,
  size: string | undefined,
  network: string,
  timeoutMs?: number,
  volumes: Array<{ name: string; path: string }> = [],
): TaskSpec & { workload: Workload } {
  const limits = parseSize(size);
  return {
    hardening: 'one-off',
    workload: { kind: 'run', app: app.name, team: app.team, release: release.version },
    image: release.imageId || release.image,
    command: processCommand(release, command) ?? ['/bin/sh', '-c', command],
    env: processEnv(app, release, 'run.1'),
    ...(limits.memoryBytes ? { memoryBytes: limits.memoryBytes } : {}),
    ...(limits.nanoCpus ? { nanoCpus: limits.nanoCpus } : {}),
    network,
    ...(timeoutMs ? { timeoutMs } : {}),
    ...(volumes.length ? { volumes } : {}),
  };
}
