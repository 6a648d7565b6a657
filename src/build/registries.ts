// Package registry and mirror settings handed to builds, so the platform works behind the host's mirrors.
// Explicit YB_* settings win; otherwise the host's own tools are asked once (npm, pip, go).
import { execFile } from 'node:child_process';

export interface RegistrySettings {
  npmRegistry: string;
  pipIndex: string;
  goProxy: string;
}

function ask(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 5000 }, (err, stdout) => resolve(err ? '' : stdout.trim()));
  });
}

const usable = (v: string) => (v && v !== 'undefined' && !/^\s*$/.test(v) ? v : '');

export async function detectRegistries(explicit: RegistrySettings): Promise<RegistrySettings> {
  const [npm, pip, go] = await Promise.all([
    explicit.npmRegistry || ask('npm', ['config', 'get', 'registry']),
    explicit.pipIndex || ask('pip', ['config', 'get', 'global.index-url']),
    explicit.goProxy || ask('go', ['env', 'GOPROXY']),
  ]);
  return { npmRegistry: usable(npm), pipIndex: usable(pip), goProxy: usable(go) };
}

/** Environment variables for a build container. */
export function registryEnv(r: RegistrySettings, caBundleInContainer: string | null): Record<string, string> {
  const env: Record<string, string> = {};
  if (r.npmRegistry) env.NPM_CONFIG_REGISTRY = r.npmRegistry;
  if (r.pipIndex) env.PIP_INDEX_URL = r.pipIndex;
  if (r.goProxy) env.GOPROXY = r.goProxy;
  if (caBundleInContainer) {
    for (const k of ['SSL_CERT_FILE', 'NODE_EXTRA_CA_CERTS', 'PIP_CERT', 'GIT_SSL_CAINFO', 'CURL_CA_BUNDLE', 'REQUESTS_CA_BUNDLE']) env[k] = caBundleInContainer;
  }
  return env;
}
