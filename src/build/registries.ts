// Package registry and mirror settings handed to builds, so the platform works behind the host's mirrors.
// Explicit YB_* settings win; otherwise the host's own tools are asked once (npm, pip, go).
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface RegistrySettings {
  npmRegistry: string;
  pipIndex: string;
  goProxy: string;
  goSumDb?: string;
  mavenMirror?: string;
  cargoMirror?: string;
  /** Composer repository replacing Packagist (YB_COMPOSER_REPO only: the host has no Composer to ask). */
  composerRepo?: string;
}

/** The URL of the first Maven mirror that stands in for Maven Central in a settings.xml text. Pure. */
export function mavenMirrorFrom(settingsXml: string): string {
  for (const m of settingsXml.matchAll(/<mirror>([\s\S]*?)<\/mirror>/g)) {
    const of = /<mirrorOf>\s*([^<]+?)\s*<\/mirrorOf>/.exec(m[1]!)?.[1] ?? '';
    const url = /<url>\s*([^<]+?)\s*<\/url>/.exec(m[1]!)?.[1];
    if (url && of.split(',').some((x) => ['*', 'central', 'external:*'].includes(x.trim()))) return url;
  }
  return '';
}

/** The registry that replaces crates.io in a cargo config.toml text ([source.crates-io] replace-with). Pure. */
export function cargoMirrorFrom(configToml: string): string {
  const section = (name: string) => {
    const m = new RegExp(`^\\[source\\.(?:"${name}"|${name})\\]\\s*$([\\s\\S]*?)(?=^\\[|$(?![\\s\\S]))`, 'm').exec(configToml);
    return m?.[1] ?? '';
  };
  const replaceWith = /^\s*replace-with\s*=\s*"([^"]+)"/m.exec(section('crates-io'))?.[1];
  if (!replaceWith) return '';
  return /^\s*registry\s*=\s*"([^"]+)"/m.exec(section(replaceWith))?.[1] ?? '';
}

async function readOr(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return ''; // no such settings file: the tool's default applies
  }
}

function ask(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 5000 }, (err, stdout) => resolve(err ? '' : stdout.trim()));
  });
}

const usable = (v: string) => (v && v !== 'undefined' && !/^\s*$/.test(v) ? v : '');

export async function detectRegistries(explicit: RegistrySettings): Promise<RegistrySettings> {
  const [npm, pip, go, sumdb, m2, cargo] = await Promise.all([
    explicit.npmRegistry || ask('npm', ['config', 'get', 'registry']),
    explicit.pipIndex || ask('pip', ['config', 'get', 'global.index-url']),
    explicit.goProxy || ask('go', ['env', 'GOPROXY']),
    explicit.goSumDb || ask('go', ['env', 'GOSUMDB']),
    explicit.mavenMirror || readOr(join(homedir(), '.m2', 'settings.xml')).then(mavenMirrorFrom),
    explicit.cargoMirror || readOr(join(process.env.CARGO_HOME ?? join(homedir(), '.cargo'), 'config.toml')).then(cargoMirrorFrom),
  ]);
  return {
    npmRegistry: usable(npm),
    pipIndex: usable(pip),
    goProxy: usable(go),
    goSumDb: usable(sumdb),
    mavenMirror: usable(m2),
    cargoMirror: usable(cargo),
    composerRepo: usable(explicit.composerRepo ?? ''),
  };
}

/** Environment variables for a build container. */
export function registryEnv(r: RegistrySettings, caBundleInContainer: string | null): Record<string, string> {
  const env: Record<string, string> = {};
  if (r.npmRegistry) env.NPM_CONFIG_REGISTRY = r.npmRegistry;
  if (r.pipIndex) env.PIP_INDEX_URL = r.pipIndex;
  if (r.goProxy) env.GOPROXY = r.goProxy;
  if (r.goSumDb) env.GOSUMDB = r.goSumDb;
  if (r.mavenMirror) env.MAVEN_MIRROR_URL = r.mavenMirror;
  if (r.cargoMirror) env.CARGO_MIRROR_URL = r.cargoMirror;
  if (r.composerRepo) env.COMPOSER_REPO_URL = r.composerRepo;
  if (caBundleInContainer) {
    for (const k of ['SSL_CERT_FILE', 'NODE_EXTRA_CA_CERTS', 'PIP_CERT', 'GIT_SSL_CAINFO', 'CURL_CA_BUNDLE', 'REQUESTS_CA_BUNDLE'])
      env[k] = caBundleInContainer;
  }
  return env;
}
