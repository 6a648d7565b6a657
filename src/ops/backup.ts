// `yb admin:backup` (docs/architecture.md §9): what goes into a platform backup and in which order. Fresh service
// dumps first, then the etcd state at one revision, then the files that state names (git repos, sealed keys,
// service backups), so every release in the state finds its commit in the repos. The archive bytes: backup-archive.ts.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, lstat, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Store } from '../store/store.js';
import type { ServiceManager } from '../services/service-manager.js';
import { PLATFORM_VERSION } from '../shared/version.js';
import type { BackupArchiveWriter } from './backup-archive.js';
import { BACKUP_FORMAT, ETCD_KEYS_NAME, ETCD_SNAPSHOT_NAME, type KeyLine } from './backup-manifest.js';
import { exportKeys, snapshotEtcd } from './etcd-export.js';

export interface BackupSources {
  store: Store;
  services: ServiceManager;
  dataDir: string;
  instance: string;
  /** The etcd is the embedded one, this instance's alone: its whole snapshot may go into the archive. */
  embeddedEtcd: boolean;
  progress: (line: string) => void;
}

const DATA_FILES = ['secret.key', 'admin-token', 'ssh_host_ed25519_key'];

/** Writes the whole backup into `writer` and finishes it; on failure the caller aborts the writer. */
export async function writeBackup(src: BackupSources, writer: BackupArchiveWriter): Promise<void> {
  const started = Date.now();
  const services = (await src.services.list()).filter((s) => s.origin === 'provisioned');
  // A fresh dump of each running service first (cheap next to the data itself); a stopped one keeps its newest.
  for (const s of services) {
    if ((await src.services.state(s)) !== 'running') continue;
    src.progress(`backing up service ${s.name}`);
    await src.services.backup(s.name);
  }

  const tmp = join(src.dataDir, 'work', `backup-${randomBytes(4).toString('hex')}`);
  await mkdir(tmp, { recursive: true, mode: 0o700 });
  try {
    const keysFile = join(tmp, 'keys.jsonl');
    const { keys, revision } = await exportKeys(src.store, keysFile);
    src.progress(`etcd: ${keys} keys at revision ${revision}`);
    await writer.addFile(ETCD_KEYS_NAME, keysFile);
    if (src.embeddedEtcd) {
      const snap = join(tmp, 'snapshot.db');
      await snapshotEtcd(src.store, snap);
      await writer.addFile(ETCD_SNAPSHOT_NAME, snap);
      src.progress(`etcd: snapshot of ${writer.parts[ETCD_SNAPSHOT_NAME]!.bytes} bytes`);
    }
    const counted = countKeys(readFileSync(keysFile, 'utf8'));

    for (const f of DATA_FILES) if (existsSync(join(src.dataDir, f))) await writer.addFile(`data/${f}`, join(src.dataDir, f));

    const reposDir = join(src.dataDir, 'repos');
    const repos = existsSync(reposDir) ? (await readdir(reposDir)).filter((n) => n.endsWith('.git')).sort() : [];
    for (const repo of repos) {
      src.progress(`git repo ${repo}`);
      await addRepo(writer, join(reposDir, repo), `data/repos/${repo}`);
    }

    let serviceBackups = 0;
    for (const s of services) {
      const newest = (await src.services.backupFiles.list(s.name)).at(-1);
      if (!newest) continue;
      await writer.addFile(`data/backups/${s.name}/${newest.file}`, join(src.services.backupFiles.dir(s.name), newest.file));
      serviceBackups++;
    }

    await writer.finish({
      format: BACKUP_FORMAT,
      layout: counted.layout,
      instance: src.instance,
      prefix: src.store.keys.prefix,
      createdAt: new Date().toISOString(),
      by: `ybd ${PLATFORM_VERSION}`,
      revision,
      counts: { keys, apps: counted.apps, services: counted.services, repos: repos.length, serviceBackups },
    });
    src.progress(
      `done: ${keys} keys, ${repos.length} repos, ${serviceBackups} service backups, ${writer.bytes} bytes before compression, ${Date.now() - started} ms`,
    );
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Apps, services and the state layout as the exported keys hold them. Pure. */
export function countKeys(jsonl: string): { apps: number; services: number; layout: number } {
  let apps = 0;
  let services = 0;
  let layout = 0;
  for (const raw of jsonl.split('\n')) {
    if (!raw) continue;
    const { k, v } = JSON.parse(raw) as KeyLine;
    if (/^apps\/[^/]+$/.test(k)) apps++;
    else if (/^services\/[^/]+$/.test(k)) services++;
    else if (k === 'schema/version') layout = Number((JSON.parse(v) as { version?: number }).version ?? 0);
  }
  return { apps, services, layout };
}

/**
 * A bare repo, everything but objects/ first: git writes objects before it moves a ref to them, so refs read
 * earlier than the objects never name an object the copy lacks, even while a push lands. Links are skipped (ybd
 * makes none in a repo; one there was not made by git). Hooks are left out: ybd installs its own on restore.
 */
async function addRepo(writer: BackupArchiveWriter, dir: string, name: string): Promise<void> {
  const files: string[] = [];
  const walk = async (rel: string) => {
    for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(r);
      else if (e.isFile()) files.push(r);
    }
  };
  await walk('');
  const objects = (f: string) => f.startsWith('objects/');
  // hooks/ is ybd's (installed again by a restore, executable), never state.
  files.splice(0, files.length, ...files.filter((f) => !f.startsWith('hooks/')));
  for (const f of [...files.filter((f) => !objects(f)), ...files.filter(objects)]) {
    if (!(await lstat(join(dir, f)).catch(() => null))?.isFile()) continue; // gone meanwhile (a ref packed, a loose object repacked)
    await writer.addFile(`${name}/${f}`, join(dir, f)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
}
