// A self-signed P-256 certificate for the router benches' HTTPS servers (nginx, the router, bare node:tls).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** Writes `tls.crt` and `tls.key` into `dir`, for `host`, valid two days. */
export function writeSelfSigned(dir: string, host: string): void {
  const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', `/CN=${host}`];
  execFileSync('openssl', [...args, '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt')], { stdio: 'ignore' });
}
