// Which team owns which image: `team-images/<team>/<image id>`, written when a team imports an image or a build of
// one of its apps makes one. The record in etcd is the source of truth: labels on an image are not, since anyone who
// can load an archive can forge them. Knows nothing of the engine.
import type { Store } from '../store/store.js';

export interface ImageOwnerRecord {
  /** Full image id (sha256:…). */
  id: string;
  team: string;
  source: 'import' | 'build';
  /** The app whose build made the image (source build). */
  app?: string;
  /** Tags the import loaded (source import). */
  refs?: string[];
  by: string;
  at: string;
}

export class ImageOwners {
  constructor(private readonly store: Store) {}

  private key(team: string, id: string): string {
    return this.store.keys.teamImage(team, id);
  }

  async record(rec: Omit<ImageOwnerRecord, 'at'>): Promise<void> {
    await this.store.put(this.key(rec.team, rec.id), { ...rec, at: new Date().toISOString() } satisfies ImageOwnerRecord);
  }

  async get(team: string, id: string): Promise<ImageOwnerRecord | null> {
    if (!/^sha256:[0-9a-f]{64}$/.test(id)) return null;
    return this.store.get<ImageOwnerRecord>(this.key(team, id));
  }

  /** Forgets that `team` owns `id` (the image left the engine). */
  async forget(team: string, id: string): Promise<void> {
    await this.store.delete(this.key(team, id));
  }
}
