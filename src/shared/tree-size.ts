// The bytes of the files under a directory, for limits checked while something (a git fetch) writes into it.
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Sums the sizes of the files under `dir` (links not followed); entries that vanish meanwhile count 0. */
export async function treeSize(dir: string): Promise<number> {
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const abs = join(d, e.name);
      if (e.isDirectory()) await walk(abs);
      else total += (await lstat(abs).catch(() => ({ size: 0 }))).size;
    }
  };
  await walk(dir);
  return total;
}
