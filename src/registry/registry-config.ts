// The configuration file ybd writes for its embedded registry (the distribution registry's YAML). Pure: it renders
// text from settings; embedded-registry.ts writes it and starts the process.

export interface RegistryConfigInput {
  /** Where blobs and manifests live ($YB_DATA_DIR/registry/data). */
  rootDirectory: string;
  /** host:port to listen on; loopback only (the embedded registry has no authentication). */
  addr: string;
}

/** A JSON string is a valid YAML scalar, and quotes whatever a path contains. */
const q = (s: string) => JSON.stringify(s);

/**
 * The registry's config: filesystem storage, manifest deletion enabled (release retention deletes manifests by
 * digest), no authentication (loopback only), upload purging of abandoned uploads, and no access log.
 */
export function renderRegistryConfig(c: RegistryConfigInput): string {
  return [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${q(c.rootDirectory)}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: true',
    '      age: 168h',
    '      interval: 24h',
    '      dryrun: false',
    'http:',
    `  addr: ${q(c.addr)}`,
    '',
  ].join('\n');
}

/** Whether `host` (of host:port) is a loopback address, the only place an unauthenticated registry may listen. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || /^127(\.\d{1,3}){3}$/.test(host) || host === '::1' || host === '[::1]';
}
