// Pebble, the ACME test CA, built from the Go module proxy (the host's `go env` settings apply) and run with
// pebble-challtestsrv as its DNS server (every name resolves to 127.0.0.1), so HTTP-01 validation reaches the
// router under test. Used by the certs:auto test; stopped by close().
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const MODULE = 'github.com/letsencrypt/pebble/v2';
const VERSION = 'v2.10.1';

export interface Pebble {
  directoryUrl: string;
  /** The CA that signed Pebble's own HTTPS certificate (for NODE_EXTRA_CA_CERTS of the ACME client). */
  caFile: string;
  close(): Promise<void>;
}

/** Builds (once per machine, cached under the temp dir) pebble and pebble-challtestsrv; returns the binaries' folder. */
export async function buildPebble(): Promise<{ bin: string; moduleDir: string }> {
  const bin = join(tmpdir(), `yb-pebble-${VERSION}`);
  for (const cmd of ['pebble', 'pebble-challtestsrv']) {
    if (!existsSync(join(bin, cmd))) await run('go', ['install', `${MODULE}/cmd/${cmd}@${VERSION}`], { env: { ...process.env, GOBIN: bin }, timeout: 300_000 });
  }
  const modcache = (await run('go', ['env', 'GOMODCACHE'])).stdout.trim();
  return { bin, moduleDir: join(modcache, `${MODULE}@${VERSION}`) };
}

function started(child: ChildProcess, marker: RegExp, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const on = (d: Buffer) => {
      out += d;
      if (marker.test(out)) resolve();
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
    child.once('exit', (code) => reject(new Error(`${what} exited (${code}): ${out}`)));
    setTimeout(() => reject(new Error(`${what} did not start: ${out}`)), 20_000).unref();
  });
}

/**
 * Starts Pebble validating HTTP-01 on `httpPort` (the router's HTTP port); `ports`: ACME, management, DNS, DNS management.
 * `validitySeconds`: how long its certificates are valid (Pebble's default profile; 90 days when absent).
 */
export async function startPebble(httpPort: number, ports: [number, number, number, number], opts: { validitySeconds?: number } = {}): Promise<Pebble> {
  const { bin, moduleDir } = await buildPebble();
  const [acme, mgmt, dns, dnsMgmt] = ports;
  const dir = mkdtempSync(join(tmpdir(), 'yb-pebble-'));
  const config = join(dir, 'pebble.json');
  writeFileSync(
    config,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${acme}`,
        managementListenAddress: `127.0.0.1:${mgmt}`,
        certificate: join(moduleDir, 'test/certs/localhost/cert.pem'),
        privateKey: join(moduleDir, 'test/certs/localhost/key.pem'),
        httpPort,
        tlsPort: 0,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
        retryAfter: { authz: 1, order: 1 },
        ...(opts.validitySeconds ? { profiles: { default: { description: 'test validity', validityPeriod: opts.validitySeconds } } } : {}),
      },
    }),
  );
  const dnsChild = spawn(
    join(bin, 'pebble-challtestsrv'),
    [
      '-defaultIPv4',
      '127.0.0.1',
      '-defaultIPv6',
      '',
      '-dnsserver',
      `127.0.0.1:${dns}`,
      '-management',
      `127.0.0.1:${dnsMgmt}`,
      '-http01',
      '',
      '-https01',
      '',
      '-tlsalpn01',
      '',
      '-doh',
      '',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const children = [dnsChild];
  const close = async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await started(dnsChild, /Starting management server/i, 'pebble-challtestsrv');
    const pebble = spawn(join(bin, 'pebble'), ['-config', config, '-dnsserver', `127.0.0.1:${dns}`], {
      env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(pebble);
    await started(pebble, /Listening on/i, 'pebble');
  } catch (err) {
    await close();
    throw err;
  }
  return { directoryUrl: `https://localhost:${acme}/dir`, caFile: join(moduleDir, 'test/certs/pebble.minica.pem'), close };
}
