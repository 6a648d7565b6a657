// Backup files of services under <dataDir>/backups/<service>/: naming, listing, retention. The dumps themselves
// are written by the service container (bind-mounted at /backups); this module only handles the files.
// The directory is writable from inside a tenant's container, so nothing here follows a symbolic link in it: a link
// planted there must never make the host read or copy a host file (docs/architecture.md §7).
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { YbError } from '../shared/errors.js';

export interface BackupInfo {
  id: string;
  service: string;
  file: string;
  bytes: number;
  createdAt: string;
}

const BACKUP_ID = /^\d{8}T\d{6}Z-[0-9a-f]{4}$/;

/** A sortable, unique backup id: `20260102T030405Z-1a2b`. Pure apart from the clock and randomness. */
export function newBackupId(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

export function checkBackupId(id: string): string {
  if (!BACKUP_ID.test(id)) throw new YbError('YB_ERR_BAD_REQUEST', `"${id.slice(0, 64)}" is not a backup id (see yb services:backups NAME)`);
  return id;
}

/** Which backups to delete so that `keep` remain (ids sort by time). Pure. */
export function beyondRetention(ids: string[], keep: number): string[] {
  return [...ids].sort().reverse().slice(Math.max(keep, 1));
}

export class BackupFiles {
  constructor(private readonly root: string) {}

  /** Host directory of a service's backups; mounted into its container at /backups. */
  dir(service: string): string {
    return join(this.root, service);
  }

  async ensureDir(service: string): Promise<string> {
    const d = this.dir(service);
    await mkdir(d, { recursive: true, mode: 0o700 });
    return d;
  }

  async list(service: string): Promise<BackupInfo[]> {
    let names: string[];
    try {
      names = await readdir(this.dir(service));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: BackupInfo[] = [];
    for (const file of names) {
      const id = file.replace(/\.[a-z]+$/, '');
      if (file.startsWith('.') || !BACKUP_ID.test(id)) continue;
      const s = await lstat(join(this.dir(service), file));
      if (!s.isFile()) continue; // a link or anything else the container put there is not a backup
      out.push({ id, service, file, bytes: s.size, createdAt: s.mtime.toISOString() });
    }
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }

  async find(service: string, id: string): Promise<BackupInfo> {
    checkBackupId(id);
    const b = (await this.list(service)).find((x) => x.id === id);
    if (!b) throw new YbError('YB_ERR_NOT_FOUND', `${service} has no backup ${id}`);
    return b;
  }

  /** Makes a finished partial file (written as `.<file>.partial`) a listed backup. */
  async commit(service: string, file: string): Promise<void> {
    await rename(join(this.dir(service), `.${file}.partial`), join(this.dir(service), file));
  }

  async discard(service: string, name: string): Promise<void> {
    await rm(join(this.dir(service), name), { force: true });
  }

  /** Deletes the oldest backups beyond `keep`; resolves to the ids removed. */
  async prune(service: string, keep: number): Promise<string[]> {
    const all = await this.list(service);
    const doomed = new Set(
      beyondRetention(
        all.map((b) => b.id),
        keep,
      ),
    );
    for (const b of all) if (doomed.has(b.id)) await this.discard(service, b.file);
    return [...doomed];
  }

  /** Copies a backup to `as` in the same directory (a file the service picks up on its next start). */
  async stage(service: string, file: string, as: string): Promise<void> {
    const { O_RDONLY, O_NOFOLLOW, O_WRONLY, O_CREAT, O_TRUNC } = constants;
    const from = await open(join(this.dir(service), file), O_RDONLY | O_NOFOLLOW);
    try {
      const target = join(this.dir(service), as);
      await rm(target, { force: true }); // a link planted under the target name goes, rather than being written through
      const to = await open(target, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0o600);
      try {
        for await (const chunk of from.createReadStream({ autoClose: false })) await to.write(chunk as Buffer);
      } finally {
        await to.close();
      }
    } finally {
      await from.close();
    }
  }

  async removeAll(service: string): Promise<void> {
    await rm(this.dir(service), { recursive: true, force: true });
  }
}
