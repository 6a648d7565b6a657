// Persistent storage for apps (Dokku's storage:mount, docs/architecture.md §5.2): named volumes owned by a team,
// mounted into an app's processes and one-offs at a path. Records in etcd (`volumes/<name>`,
// `apps/<app>/mounts/<volume>`); the data is the runtime's named volume `<instance>-vol-<name>`, kept across
// deploys, rollbacks and restarts and removed only by `storage:destroy`.
import type { Store } from '../store/store.js';
import { YbError } from '../shared/errors.js';
import { storageVolume } from '../runtime/runtime.js';

export interface VolumeRecord {
  name: string;
  team: string;
  createdAt: string;
  createdBy: string;
}

export interface MountRecord {
  volume: string;
  path: string;
  /** Process types that get it; absent: every type. One-offs (`yb run`, release phase, cron) always do. */
  types?: string[];
}

const NAME = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/;
/** Directories a volume may not replace: the root and the system's own trees. */
const SYSTEM = ['/', '/proc', '/sys', '/dev', '/etc', '/bin', '/sbin', '/lib', '/lib64', '/usr', '/tmp'];
/** Trees the kernel and the runtime fill: nothing may be mounted anywhere under them. */
const KERNEL = ['/proc', '/sys', '/dev'];

/** The volume name, or a YbError saying what a name may be. */
export function checkVolumeName(name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name))
    throw new YbError('YB_ERR_INVALID_NAME', 'a volume name is 2-32 lowercase letters, digits and dashes, starting with a letter');
  return name;
}

/** The mount path: absolute, plain (no `..`, `:`, spaces or control characters), and not a system directory. */
export function checkMountPath(path: unknown): string {
  if (typeof path !== 'string' || path.length > 200 || !/^\/[A-Za-z0-9._/-]*$/.test(path))
    throw new YbError('YB_ERR_BAD_REQUEST', 'a mount path is an absolute path of letters, digits, ".", "_", "-" and "/"');
  const clean = path.replace(/\/+$/, '') || '/';
  if (clean.split('/').some((part) => part === '..' || part === '.')) throw new YbError('YB_ERR_BAD_REQUEST', 'a mount path may not contain "." or ".." parts');
  if (SYSTEM.includes(clean) || KERNEL.some((k) => clean.startsWith(`${k}/`)))
    throw new YbError('YB_ERR_BAD_REQUEST', `${clean} is a system directory; mount the volume elsewhere (for example /data)`);
  return clean;
}

/** The volumes a process of `type` (or a one-off, `type` undefined) of `app` mounts, with runtime names. */
export async function mountsOf(store: Store, instance: string, app: string, type?: string): Promise<Array<{ name: string; path: string }>> {
  const mounts = await store.list<MountRecord>(store.keys.mountsPrefix(app));
  return mounts
    .map((e) => e.value)
    .filter((m) => type === undefined || !m.types || m.types.includes(type))
    .sort((a, b) => a.path.localeCompare(b.path))
    .map((m) => ({ name: storageVolume(instance, m.volume), path: m.path }));
}
