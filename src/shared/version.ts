// The platform's version: package.json's, which ybd, yb-router and yb share (one package, one release). Read at
// run time, from the source tree (tsx) or from dist/ alike, so the number lives in one place.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function readVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++, dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'yunbang' && pkg.version) return pkg.version;
  }
  return 'unknown'; // a copy of the code without its package.json
}

export const PLATFORM_VERSION = readVersion();

/** What `yb version` says about a CLI and a server of these versions: null when they match. */
export function versionMismatch(cli: string, server: string): string | null {
  if (cli === server) return null;
  return `yb ${cli} talks to a server at ${server}; commands and answers may differ: use the yb of the server's version`;
}
