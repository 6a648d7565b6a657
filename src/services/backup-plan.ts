// The backup plan of a service in the store (`services/<name>/backup-plan`): its schedule and retention, and its
// off-site store (endpoint, region, bucket, prefix) with the keys sealed in a top-level field (context
// `service-offsite:<name>`, so `yb admin:rotate-key` re-seals them). The last run and missed runs
// (`services/<name>/backup-runs`). Records only: the scheduler and the off-site copies decide what they mean.
import type { Store } from '../store/store.js';
import { openFor, sealFor } from '../auth/secrets.js';
import type { Sealed } from '../shared/sealed.js';
import type { Credentials } from '../shared/sigv4.js';
import type { OffsiteStore } from './offsite.js';

export interface BackupSchedule {
  expr: string;
  keep: number;
  setBy: string;
  setAt: string;
}

export interface BackupPlan {
  schedule?: BackupSchedule;
  offsite?: { endpoint: string; region: string; bucket: string; prefix: string; setBy: string; setAt: string };
  /** The store's keys, sealed at rest; never shown. */
  credentials?: Sealed | Credentials;
}

export interface BackupRun {
  trigger: 'schedule' | 'manual';
  startedAt: string;
  finishedAt?: string;
  status: 'running' | 'succeeded' | 'failed';
  backup?: string;
  /** Whether the backup was copied off-site; `failed` keeps the local backup. */
  offsite?: 'copied' | 'failed' | 'none';
  pruned?: { local: string[]; offsite: string[] };
  error?: string;
}

export interface BackupRuns {
  last?: BackupRun;
  missed?: { count: number; last: string; noticedAt: string };
  skipped?: number;
}

export class BackupPlans {
  constructor(private readonly store: Store) {}

  private ctx(service: string): string {
    return `service-offsite:${service}`;
  }

  async get(service: string): Promise<BackupPlan> {
    return (await this.store.get<BackupPlan>(this.store.keys.serviceBackupPlan(service))) ?? {};
  }

  /** A compare-and-swap change of the plan; `undefined` from `change` deletes it. */
  async update(service: string, change: (p: BackupPlan) => BackupPlan): Promise<BackupPlan> {
    const key = this.store.keys.serviceBackupPlan(service);
    for (let i = 0; i < 20; i++) {
      const cur = await this.store.getEntry<BackupPlan>(key);
      const next = change(cur?.value ?? {});
      const done = cur ? await this.store.replace(key, next, cur.modRevision) : await this.store.create(key, next);
      if (done) return next;
    }
    throw new Error(`the backup plan of ${service} is being changed by someone else; try again`);
  }

  seal(service: string, creds: Credentials): Sealed | Credentials {
    return sealFor(this.store, creds, this.ctx(service)) as Sealed | Credentials;
  }

  /** The whole off-site store of a plan (keys opened), or null when it has none. */
  offsiteOf(service: string, plan: BackupPlan): OffsiteStore | null {
    if (!plan.offsite || !plan.credentials) return null;
    const creds = openFor<Credentials>(this.store, plan.credentials, this.ctx(service));
    const { endpoint, region, bucket, prefix } = plan.offsite;
    return { endpoint, region, bucket, prefix, accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey };
  }

  /** Every service that has a plan with a schedule. */
  async scheduled(): Promise<Array<{ service: string; schedule: BackupSchedule }>> {
    const prefix = this.store.keys.servicesPrefix();
    return (await this.store.list<BackupPlan>(prefix))
      .filter((e) => e.key.endsWith('/backup-plan') && e.value.schedule)
      .map((e) => ({ service: e.key.slice(prefix.length, -'/backup-plan'.length), schedule: e.value.schedule! }));
  }

  async runs(service: string): Promise<BackupRuns> {
    return (await this.store.get<BackupRuns>(this.store.keys.serviceBackupRuns(service))) ?? {};
  }

  async noteRuns(service: string, change: (r: BackupRuns) => BackupRuns): Promise<void> {
    const key = this.store.keys.serviceBackupRuns(service);
    await this.store.put(key, change(await this.runs(service)));
  }
}
