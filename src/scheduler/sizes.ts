// Process sizes: `512M`, `1G`, `512M:0.5` (memory, optional CPUs) → Docker limits. Pure. No size means the
// platform's default memory limit (YB_PROCESS_MEMORY, applied by the runtime backend, e.g. runtime/docker/hardening.ts), not an unlimited process.
import { YbError } from '../shared/errors.js';

export interface SizeLimits {
  memoryBytes?: number;
  nanoCpus?: number;
}

const UNITS: Record<string, number> = { K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

export function parseSize(size: string | undefined): SizeLimits {
  if (!size) return {};
  const m = /^(\d+)([KMG])(?::(\d+(?:\.\d+)?))?$/i.exec(size);
  if (!m) throw new YbError('YB_ERR_BAD_REQUEST', `"${size.slice(0, 32)}" is not a size: use e.g. 512M, 1G or 512M:0.5 (memory[:cpus])`);
  const memoryBytes = Number(m[1]) * UNITS[m[2]!.toUpperCase()]!;
  if (memoryBytes < 6 * 1024 ** 2) throw new YbError('YB_ERR_BAD_REQUEST', `size ${size} is below the 6M minimum`);
  const cpus = m[3] ? Number(m[3]) : undefined;
  if (cpus !== undefined && (cpus <= 0 || cpus > 64)) throw new YbError('YB_ERR_BAD_REQUEST', `CPU count in ${size} must be between 0 and 64`);
  return { memoryBytes, nanoCpus: cpus === undefined ? undefined : Math.round(cpus * 1e9) };
}

/**
 * The size of one-off containers (release phase, deploy scripts, `yb run`): the web process's, since they run the
 * same code (migrations, consoles); without one, the default (YB_PROCESS_MEMORY).
 */
export function oneOffSize(formation: ReadonlyArray<{ type: string; size?: string }>): string | undefined {
  return formation.find((f) => f.type === 'web')?.size;
}
