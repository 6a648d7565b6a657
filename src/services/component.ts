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
import { OffsiteCopies } from './offsite.js';
import { ServiceBackups } from './backup-schedule.js';

export interface Services {
  manager: ServiceManager;
  deps: DepsManager;
  /** Scheduled and off-site backups (docs/architecture.md §5.4); its schedule ticks only once started. */
  backups: ServiceBackups;
}

export function createServices(
  parts: { store: Store; apps: AppRecords; deployer: Deployer; runtime: Runtime; log: Logger },
  settings: {
    dataDir: string;
    recipesDir: string;
    stackImage: string;
    healthTimeoutMs: number;
    backupRetention: number;
    /** Loopback and private S3 endpoints allowed (YB_OUTBOUND_PRIVATE). */
    outboundPrivate: boolean;
    backupPartBytes: number;
  },
): Services {
  const log = parts.log.child({ component: 'services' });
  const images = new ServiceImages(parts.runtime.images, settings.recipesDir, settings.stackImage);
  const files = new BackupFiles(join(settings.dataDir, 'backups'));
  const manager = new ServiceManager(
    new ServiceRecords(parts.store),
    parts.apps,
    parts.deployer,
    images,
    new ServiceContainers(parts.runtime),
    files,
    { healthTimeoutMs: settings.healthTimeoutMs, backupRetention: settings.backupRetention },
    log,
  );
  const offsite = new OffsiteCopies(files, settings.outboundPrivate, settings.backupPartBytes);
  const backups = new ServiceBackups(parts.store, manager, offsite, settings.backupRetention, log.child({ component: 'service-backups' }));
  return { manager, deps: new DepsManager(parts.store, parts.apps, parts.deployer, log), backups };
}
