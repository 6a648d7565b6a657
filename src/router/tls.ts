// Certificates by server name for the router's HTTPS listener: the `certs/` keys of each snapshot, turned into
// TLS secure contexts lazily (on the first handshake that asks for the host) and cached per host and record
// value, so a replaced certificate is served on the next handshake without a restart. Unknown names get the
// fallback certificate. Never logs a private key.
import { createSecureContext, type SecureContext } from 'node:tls';
import type { Logger } from 'pino';
import { keys } from '../store/keys.js';
import { certCandidates, certKeyContext, parseCertRecord } from './tls-record.js';
import type { SecretKeyring } from './tls-keyring.js';
import type { PemPair } from './tls-fallback.js';
import type { SnapshotDelta } from './table-input.js';

interface Cached {
  raw: string;
  /** undefined: the record could not be used (already logged); the fallback is served instead. */
  context: SecureContext | undefined;
}

export class TlsCertificates {
  private readonly prefix: string;
  /** host → raw `certs/<host>` value. */
  private readonly records = new Map<string, string>();
  private readonly contexts = new Map<string, Cached>();
  readonly fallback: SecureContext;

  constructor(
    prefix: string,
    private readonly keyring: SecretKeyring,
    readonly fallbackPem: PemPair,
    private readonly log: Logger,
  ) {
    this.prefix = keys(prefix).certsPrefix();
    this.fallback = createSecureContext(fallbackPem);
  }

  /** Takes the `certs/` keys of a snapshot delta; other keys are ignored. */
  apply(delta: SnapshotDelta): void {
    for (const k of delta.del) {
      if (!k.startsWith(this.prefix)) continue;
      const host = k.slice(this.prefix.length);
      this.records.delete(host);
      this.contexts.delete(host);
    }
    for (const [k, v] of delta.set) {
      if (!k.startsWith(this.prefix)) continue;
      const host = k.slice(this.prefix.length);
      this.records.set(host, v);
      this.contexts.delete(host); // rebuilt on the next handshake for it
    }
  }

  get size(): number {
    return this.records.size;
  }

  /** The context for a TLS server name: exact host, then a wildcard one label up, then the fallback. */
  contextFor(servername: string | undefined): SecureContext {
    if (!servername) return this.fallback;
    for (const host of certCandidates(servername)) {
      const ctx = this.contextOf(host);
      if (ctx) return ctx;
    }
    return this.fallback;
  }

  /** For `tls.createServer({ SNICallback })`. */
  readonly sniCallback = (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void): void => {
    cb(null, this.contextFor(servername));
  };

  private contextOf(host: string): SecureContext | undefined {
    const raw = this.records.get(host);
    if (raw === undefined) return undefined;
    const cached = this.contexts.get(host);
    if (cached && cached.raw === raw) return cached.context;
    let context: SecureContext | undefined;
    try {
      const rec = parseCertRecord(raw);
      if (!rec) throw new Error('not a certificate record');
      context = createSecureContext({ cert: rec.cert, key: this.keyring.open(rec.key, certKeyContext(host)) });
    } catch (err) {
      // The message names the problem (bad PEM, unknown key id), never key material.
      this.log.warn({ host, err: (err as Error).message }, 'certificate record not usable; serving the fallback certificate');
    }
    this.contexts.set(host, { raw, context });
    return context;
  }
}
