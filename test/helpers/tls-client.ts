// Test clients for the router's HTTPS listener: one request on a fresh TLS connection (no session reuse) with the
// certificate the server presented, and a wait on a served result with a deadline (no sleeps as synchronisation).
import assert from 'node:assert/strict';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';

export interface TlsAnswer {
  status: number;
  body: string;
  serial: string;
  subject: string;
  issuer: string;
  fingerprint: string;
  /** The certificate's notAfter, in milliseconds since the epoch. */
  notAfter: number;
}

/** GET / on 127.0.0.1:`port` with SNI and Host `servername`; verified against `ca` unless `verify` is false. */
export function httpsGet(port: number, servername: string, opts: { ca?: string | Buffer; verify?: boolean } = {}): Promise<TlsAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port, servername, ca: opts.ca, rejectUnauthorized: opts.verify ?? true, agent: false, headers: { host: servername } },
      (res) => {
        const peer = (res.socket as TLSSocket).getPeerCertificate();
        let body = '';
        res.on('data', (d: Buffer) => (body += d));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            body,
            serial: peer.serialNumber,
            subject: String(peer.subject?.CN),
            issuer: String(peer.issuer?.CN),
            fingerprint: peer.fingerprint256,
            notAfter: Date.parse(peer.valid_to),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Probes until `ok` holds; fails with the last value after `ms`. */
export async function eventually<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    if (Date.now() > deadline) assert.fail(`${what}: last ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
