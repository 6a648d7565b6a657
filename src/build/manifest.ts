// app.json and CHECKS of a source tree, read at build time so their errors fail the push with what is at fault.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { YbError } from '../shared/errors.js';
import { EMPTY_MANIFEST, parseAppJson, parseChecks, type DeployManifest } from '../release/app-json.js';

/** app.json and CHECKS of the source; their errors fail the build, naming what is at fault. */
export async function readManifest(src: string): Promise<DeployManifest> {
  let manifest: DeployManifest = { ...EMPTY_MANIFEST, healthchecks: {} };
  const errors: string[] = [];
  if (existsSync(join(src, 'app.json'))) {
    const r = parseAppJson(await readFile(join(src, 'app.json'), 'utf8'));
    manifest = r.manifest;
    errors.push(...r.errors);
  }
  if (existsSync(join(src, 'CHECKS')) && !manifest.healthchecks.web?.length) {
    const r = parseChecks(await readFile(join(src, 'CHECKS'), 'utf8'));
    if (r.checks.length) manifest.healthchecks.web = r.checks;
    errors.push(...r.errors);
  }
  if (errors.length) throw new YbError('YB_ERR_BUILD_FAILED', errors.join('; '));
  return manifest;
}
