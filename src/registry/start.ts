// Which registry ybd pushes to: YB_REGISTRY_URL when set (nothing is started), else the embedded docker-registry
// on YB_REGISTRY_ADDR (loopback only: it has no authentication), garbage-collected once before it serves.
import { openSync } from 'node:fs';
import { join } from 'node:path';
import { formatAddr, type PlatformConfig } from '../config/load.js';
import type { Runtime } from '../runtime/runtime.js';
import type { Logger } from '../shared/logger.js';
import { EmbeddedRegistry, RegistryUnavailableError } from './embedded-registry.js';
import { ImageRegistry } from './image-registry.js';
import { isLoopbackHost } from './registry-config.js';

export { RegistryUnavailableError };

export async function startRegistry(
  cfg: Pick<PlatformConfig, 'registryUrl' | 'registryAddr'>,
  dataDir: string,
  logDir: string,
  runtime: Runtime,
  log: Logger,
): Promise<{ images: ImageRegistry; embedded: EmbeddedRegistry | null }> {
  if (cfg.registryUrl) {
    let url: URL;
    try {
      url = new URL(cfg.registryUrl);
    } catch {
      throw new RegistryUnavailableError(`YB_REGISTRY_URL "${cfg.registryUrl.slice(0, 100)}" is not a URL; give it as http://host:port`);
    }
    const base = `${url.protocol}//${url.host}`;
    const ok = await fetch(`${base}/v2/`, { signal: AbortSignal.timeout(5000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (!ok)
      throw new RegistryUnavailableError(
        `no image registry answers at ${base}/v2/ (YB_REGISTRY_URL); start it or unset YB_REGISTRY_URL to use the embedded one`,
      );
    return { images: new ImageRegistry(runtime.images, runtime.instance, base, null, log), embedded: null };
  }
  if (!isLoopbackHost(cfg.registryAddr.host)) {
    throw new RegistryUnavailableError(
      `YB_REGISTRY_ADDR ${formatAddr(cfg.registryAddr)} is not a loopback address; the embedded registry has no authentication, so put an authenticating registry elsewhere and name it in YB_REGISTRY_URL`,
    );
  }
  const embedded = new EmbeddedRegistry({
    dir: join(dataDir, 'registry'),
    addr: formatAddr(cfg.registryAddr),
    stdio: openSync(join(logDir, 'registry.log'), 'a'),
  });
  // Collected before it serves: nothing can be in flight yet, and blobs of manifests deleted just before a stop go.
  await embedded.start();
  await embedded.collectGarbage().catch((err: unknown) => log.warn({ err }, 'registry garbage collection at start failed; the registry serves regardless'));
  log.info({ url: embedded.url }, 'embedded image registry started');
  return { images: new ImageRegistry(runtime.images, runtime.instance, embedded.url, embedded, log), embedded };
}
