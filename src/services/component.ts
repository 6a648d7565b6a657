// Wiring of the services component: service images, containers, backup files, the service manager and app
// dependencies, built from the platform's components and settings (called once by the wiring, src/control-plane/control-plane.ts).
import { join } from 'node:path';
import type { Store } from '../store/store.js';
import type { AppRecords } from '../release/app-records.js';
import type { Deployer } from '../deploy/pipeline.js';
import type { Runtime } from '../runtime/runtime.js';
import type { Logger } from '../shared/logger.js';
import { ServiceImages } from './images.js';
import { ServiceContainers } from './containers.js';
import { BackupFiles } from './backups.js';
import { ServiceManager } from './service-manager.js';
import { ServiceRecords } from './service-records.js';
import { DepsManager } from './deps.js';

export interface Services {
  manager: ServiceManager;
  deps: DepsManager;
}

export function createServices(
  parts: { store: Store; apps: AppRecords; deployer: Deployer; runtime: Runtime; log: Logger },
  settings: { dataDir: string; recipesDir: string; stackImage: string; healthTimeoutMs: number; backupRetention: number },
): Services {
  const log = parts.log.child({ component: 'services' });
  const images = new ServiceImages(parts.runtime.images, settings.recipesDir, settings.stackImage);
  const manager = new ServiceManager(
    new ServiceRecords(parts.store),
    parts.apps,
    parts.deployer,
    images,
    new ServiceContainers(parts.runtime),
    new BackupFiles(join(settings.dataDir, 'backups')),
    { healthTimeoutMs: settings.healthTimeoutMs, backupRetention: settings.backupRetention },
    log,
  );
  return { manager, deps: new DepsManager(parts.store, parts.apps, parts.deployer, log) };
}
