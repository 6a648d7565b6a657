// A tiny test PKI made with the openssl CLI: one CA and leaf certificates signed by it for given DNS names.
// Used by the router and platform TLS tests; everything lives in one temporary directory.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Leaf {
  cert: string;
  key: string;
  certFile: string;
  keyFile: string;
  serial: string;
}

export interface TestPki {
  dir: string;
  ca: string;
  /** A leaf for `names` (the first is the subject CN), valid `days` days, with `extensions` (openssl extfile lines) added. */
  leaf(names: string[], days?: number, extensions?: string[]): Promise<Leaf>;
  close(): void;
}

export async function createTestPki(): Promise<TestPki> {
  const dir = mkdtempSync(join(tmpdir(), 'yb-tls-pki-'));
  const caKey = join(dir, 'ca.key');
  const caCert = join(dir, 'ca.crt');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '30',
    '-subj',
    '/CN=Yunbang Test CA',
    '-keyout',
    caKey,
    '-out',
    caCert,
  ]);
  let n = 0;
  return {
    dir,
    ca: readFileSync(caCert, 'utf8'),
    async leaf(names, days = 20, extensions = []) {
      const base = join(dir, `leaf${++n}`);
      writeFileSync(
        `${base}.ext`,
        `subjectAltName=${names.map((d) => `DNS:${d}`).join(',')}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n${extensions.map((e) => `${e}\n`).join('')}`,
      );
      await run('openssl', [
        'req',
        '-new',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-subj',
        `/CN=${names[0]}`,
        '-keyout',
        `${base}.key`,
        '-out',
        `${base}.csr`,
      ]);
      await run('openssl', [
        'x509',
        '-req',
        '-in',
        `${base}.csr`,
        '-CA',
        caCert,
        '-CAkey',
        caKey,
        '-CAcreateserial',
        '-days',
        String(days),
        '-extfile',
        `${base}.ext`,
        '-out',
        `${base}.crt`,
      ]);
      const serial = (await run('openssl', ['x509', '-in', `${base}.crt`, '-noout', '-serial'])).stdout.trim().replace(/^serial=/, '');
      return { cert: readFileSync(`${base}.crt`, 'utf8'), key: readFileSync(`${base}.key`, 'utf8'), certFile: `${base}.crt`, keyFile: `${base}.key`, serial };
    },
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}
