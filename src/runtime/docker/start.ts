// Starts the Docker backend for ybd: connects to the engine (one clear error when it is not there), limits
// BuildKit's RUN steps (buildkit-limits.ts) and says which base images are missing.
import type { Logger } from '../../shared/logger.js';
import { applyBuildkitLimits } from './buildkit-limits.js';
import { DockerRuntime, type DockerEndpoints } from './docker-runtime.js';
import type { HardeningSettings } from '../hardening.js';

export interface DockerBackendSettings {
  instance: string;
  dockerHost: string;
  endpoints: 'auto' | DockerEndpoints;
  hardening: HardeningSettings;
  build: { memoryBytes: number; cpus: number; pids: number };
  baseImages: string[];
  /** The stack image: short housekeeping containers (a new volume's owner) run it. */
  toolImage: string;
}

export async function startDockerRuntime(s: DockerBackendSettings, log: Logger): Promise<DockerRuntime> {
  const runtime = new DockerRuntime(s.instance, s.dockerHost, s.hardening, (err) => log.warn({ err }, 'the Docker event stream failed; opening it again'));
  runtime.toolImage = s.toolImage;
  await runtime.ping();
  log.info({ endpoints: await runtime.chooseEndpoints(s.endpoints) }, 'routers reach processes by this kind of address');
  await applyBuildkitLimits(await runtime.cgroups(), s.build, log);
  for (const image of s.baseImages) {
    if (!(await runtime.images.exists(image))) log.warn({ image }, 'base image missing: run "npm start" or scripts/build-images.sh');
  }
  return runtime;
}
