// Dockerfile apps: the app's own Dockerfile built by the Docker engine, with build args from config, the
// .dockerignore'd context, and base images checked first: only the platform's public ones or the team's own, and
// a missing one reported in one sentence (nothing can be pulled).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Runtime } from '../runtime/runtime.js';
import { YbError } from '../shared/errors.js';
import { parseProcfile } from '../release/procfile.js';
import { inspectDockerfile } from './dockerfile.js';
import { checkDockerfileImages, type ImageAccess } from './dockerfile-images.js';
import { cacheScope, confineDockerfileText } from './dockerfile-guard.js';
import { contextFiles, tarFiles } from './context.js';
import { DEFAULT_PORT, type BuildRecord } from './build-record.js';
import { readTenantFile, APP_SOURCE } from './tenant-files.js';

/**
 * How Dockerfile builds run. The classic builder takes the memory and CPU limits per build; BuildKit's steps get
 * them from the cgroup ybd limits at start (runtime/buildkit-limits.ts), where `memoryBytes` only names the limit.
 */
export interface DockerfileBuildLimits {
  timeoutMs?: number;
  classic?: boolean;
  memoryBytes?: number;
  cpus?: number;
}

/** What the app's build may use: the images (see dockerfile-images.ts) and its incarnation, which names its cache mounts. */
export interface DockerfileAccess extends ImageAccess {
  incarnation?: string;
}

/** Builds `src` with its Dockerfile into the image recorded on `rec` (port, health check, process types too). */
export async function dockerfileBuild(
  runtime: Runtime,
  rec: BuildRecord,
  work: string,
  dockerfile: string,
  config: Record<string, string>,
  emit: (l: string) => void,
  access: DockerfileAccess,
  limits: DockerfileBuildLimits = {},
): Promise<void> {
  const src = join(work, 'src');
  rec.builder = 'dockerfile';
  rec.language = 'dockerfile';
  emit(`-----> ${dockerfile} found; building with the Docker engine${limits.classic ? ' (classic builder)' : ''}`);
  // Read once as a tenant file (a link out of the app is refused), confined (cache mounts, fetches), and written
  // back for the engine when confining changed it.
  const original = await readTenantFile(src, dockerfile, APP_SOURCE);
  if (original === null) throw new YbError('YB_ERR_BUILD_FAILED', `${dockerfile} is not a file`);
  const text = confineDockerfileText(original, cacheScope(runtime.instance, rec.app, access.incarnation), dockerfile);
  if (text !== original) await writeFile(join(src, dockerfile), text);
  const info = inspectDockerfile(text, config);
  const buildargs = Object.fromEntries(info.args.filter((a) => a in config).map((a) => [a, config[a]!]));
  if (Object.keys(buildargs).length) emit(`       Build args from config: ${Object.keys(buildargs).join(', ')}`);
  await checkDockerfileImages(runtime.images, text, buildargs, dockerfile, access);
  const files = await contextFiles(src, dockerfile);
  const t = Date.now();
  rec.image = `yunbang-app/${rec.app}:${rec.id}`;
  rec.imageId = await runtime.images
    .build(
      () => tarFiles(src, files),
      // No labels but the store's ownership mark (the tag already names the app and the build).
      { tag: rec.image, dockerfile, buildargs, labels: {}, ...limits },
      (line) => emit(`       ${line}`),
    )
    .catch((err: Error) => {
      const killed = /exit code: 137\b/.test(err.message) && limits.memoryBytes;
      throw new YbError('YB_ERR_BUILD_FAILED', `docker build failed: ${err.message}`, {
        hint: killed
          ? `exit code 137: the step was killed, most likely for using more than the build memory limit (YB_BUILD_MEMORY, ${limits.memoryBytes! / 1024 / 1024} MiB)`
          : undefined,
      });
    });
  rec.durations.image = Date.now() - t;
  const image = await runtime.images.describe(rec.imageId);
  if (!image) throw new YbError('YB_ERR_BUILD_FAILED', 'the built image is gone from the engine');
  rec.port = image.exposedPort ?? DEFAULT_PORT;
  rec.imageHealthcheck = image.healthCommand !== null;
  const procfile = await readTenantFile(src, 'Procfile', APP_SOURCE);
  if (procfile !== null) {
    const parsed = parseProcfile(procfile);
    if (parsed.errors.length) throw new YbError('YB_ERR_BUILD_FAILED', parsed.errors.join('; '));
    rec.processTypes = parsed.processes;
  }
  if (!rec.processTypes.web) rec.processTypes.web = '';
}

/** The Dockerfile to use: YB_DOCKERFILE_PATH (relative, inside the source) or `Dockerfile`. */
export function dockerfilePath(config: Record<string, string>): string {
  const p = config.YB_DOCKERFILE_PATH?.trim();
  if (!p) return 'Dockerfile';
  if (p.startsWith('/') || p.split('/').includes('..'))
    throw new YbError('YB_ERR_BAD_REQUEST', `YB_DOCKERFILE_PATH must be a path inside the source, got "${p.slice(0, 100)}"`);
  return p;
}
