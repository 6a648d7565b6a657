// The one place that chooses the runtime backend (YB_RUNTIME; docs/architecture.md §6). A backend is a folder
// under src/runtime/ implementing runtime.ts; adding one means a case here and nothing elsewhere. The Kubernetes
// backend keeps the Docker backend of this host as its builder (builds, image store).
import type { PlatformConfig } from '../config/load.js';
import type { Logger } from '../shared/logger.js';
import type { Runtime } from './runtime.js';
import { startDockerRuntime } from './docker/start.js';
import { startKubernetesRuntime } from './kubernetes/start.js';

/** The runtime of `cfg`, started; `close()` stops what it holds open. */
export async function startRuntime(cfg: PlatformConfig, log: Logger): Promise<Runtime & { close(): void }> {
  const hardening = {
    processPids: cfg.processPids,
    buildPids: cfg.buildPids,
    servicePids: cfg.servicePids,
    processMemoryBytes: cfg.processMemory * 1024 * 1024,
    serviceMemoryBytes: cfg.serviceMemory * 1024 * 1024,
  };
  const docker = await startDockerRuntime(
    {
      instance: cfg.instance,
      dockerHost: cfg.dockerHost,
      endpoints: cfg.dockerEndpoints,
      hardening,
      build: { memoryBytes: cfg.buildMemory * 1024 * 1024, cpus: cfg.buildCpus, pids: cfg.buildPids },
      baseImages: [cfg.stackImage, cfg.builderImage],
      toolImage: cfg.stackImage,
    },
    log,
  );
  if (cfg.runtime !== 'kubernetes') return docker;
  try {
    return await startKubernetesRuntime(
      {
        instance: cfg.instance,
        kubeconfig: cfg.kubeconfig,
        registryUrl: cfg.registryUrl,
        hostCidrs: cfg.kubeHostCidrs,
        volumesDir: cfg.kubeVolumesDir,
        dataDir: cfg.dataDir,
        hardening,
      },
      docker,
      log,
    );
  } catch (err) {
    docker.close();
    throw err;
  }
}
