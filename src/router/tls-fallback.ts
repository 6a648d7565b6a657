// The self-signed certificate served to TLS clients whose server name has no certificate (or none at all):
// generated once with the openssl CLI into $YB_DATA_DIR/router-tls/ and reused by every router on the host.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PemPair {
  cert: string;
  key: string;
}

export function fallbackPaths(dataDir: string): { dir: string; cert: string; key: string } {
  const dir = join(dataDir, 'router-tls');
  return { dir, cert: join(dir, 'fallback.crt'), key: join(dir, 'fallback.key') };
}

/** Creates the fallback pair when missing (atomically: concurrent routers never see half a file). */
export async function ensureFallbackCertificate(dataDir: string): Promise<void> {
  const p = fallbackPaths(dataDir);
  if (existsSync(p.cert) && existsSync(p.key)) return;
  mkdirSync(p.dir, { recursive: true, mode: 0o700 });
  const tmp = `.${process.pid}-${Date.now()}`;
  try {
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '3650',
      '-subj',
      '/CN=yunbang-router-fallback',
      '-keyout',
      p.key + tmp,
      '-out',
      p.cert + tmp,
    ]);
    renameSync(p.key + tmp, p.key); // key first: a reader that sees the cert finds its key
    renameSync(p.cert + tmp, p.cert);
  } finally {
    rmSync(p.key + tmp, { force: true });
    rmSync(p.cert + tmp, { force: true });
  }
}

export function readFallbackCertificate(dataDir: string): PemPair {
  const p = fallbackPaths(dataDir);
  return { cert: readFileSync(p.cert, 'utf8'), key: readFileSync(p.key, 'utf8') };
}
