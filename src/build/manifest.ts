// app.json and CHECKS of a source tree, read at build time so their errors fail the push with what is at fault.
import { readTenantFile, APP_SOURCE } from './tenant-files.js';
import { YbError } from '../shared/errors.js';
import { EMPTY_MANIFEST, parseAppJson, parseChecks, type DeployManifest } from '../release/app-json.js';

/** app.json and CHECKS of the source; their errors fail the build, naming what is at fault. */
export async function readManifest(src: string): Promise<DeployManifest> {
  let manifest: DeployManifest = { ...EMPTY_MANIFEST, healthchecks: {} };
  const errors: string[] = [];
  const appJson = await readTenantFile(src, 'app.json', APP_SOURCE);
  if (appJson !== null) {
    const r = parseAppJson(appJson);
    manifest = r.manifest;
    errors.push(...r.errors);
  }
  const checks = manifest.healthchecks.web?.length ? null : await readTenantFile(src, 'CHECKS', APP_SOURCE);
  if (checks !== null) {
    const r = parseChecks(checks);
    if (r.checks.length) manifest.healthchecks.web = r.checks;
    errors.push(...r.errors);
  }
  if (errors.length) throw new YbError('YB_ERR_BUILD_FAILED', errors.join('; '));
  return manifest;
}
