// The one place that chooses the runtime backend (YB_RUNTIME; docs/architecture.md §6). A backend is a folder
// under src/runtime/ implementing runtime.ts; adding one means a case here and nothing elsewhere.
import type { PlatformConfig } from '../config/load.js';
import type { Logger } from '../shared/logger.js';
import type { Runtime } from './runtime.js';
import { RuntimeUnavailableError } from './runtime.js';
import { startDockerRuntime } from './docker/start.js';

/** The runtime of `cfg`, started; `close()` stops what it holds open. */
export async function startRuntime(cfg: PlatformConfig, log: Logger): Promise<Runtime & { close(): void }> {
  if (cfg.runtime === 'kubernetes')
    throw new RuntimeUnavailableError('YB_RUNTIME=kubernetes: the Kubernetes backend is not built yet; use YB_RUNTIME=docker (the default)');
  return startDockerRuntime(
    {
      instance: cfg.instance,
      dockerHost: cfg.dockerHost,
      hardening: {
        processPids: cfg.processPids,
        buildPids: cfg.buildPids,
        servicePids: cfg.servicePids,
        processMemoryBytes: cfg.processMemory * 1024 * 1024,
        serviceMemoryBytes: cfg.serviceMemory * 1024 * 1024,
      },
      build: { memoryBytes: cfg.buildMemory * 1024 * 1024, cpus: cfg.buildCpus, pids: cfg.buildPids },
      baseImages: [cfg.stackImage, cfg.builderImage],
    },
    log,
  );
}
