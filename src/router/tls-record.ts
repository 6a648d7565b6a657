// The value of `certs/<host>` in etcd: a certificate chain (PEM) for one host name and its private key, sealed
// with the platform's secret key (shared/sealed.ts, context `cert:<host>`). Pure: types and parsing only.
import { isSealed, type Sealed } from '../shared/sealed.js';

export interface CertRecord {
  /** The app the host is routed to when the certificate was added. */
  app: string;
  /** The host this record serves (`certs/<hostname>`); may be a wildcard `*.example.com`. */
  hostname: string;
  /** Leaf first, then intermediates. */
  cert: string;
  /** The PEM private key, sealed; a plain PEM string only where no secret key exists (router tests). */
  key: Sealed | string;
  /** DNS names the certificate covers. */
  names: string[];
  notBefore: string;
  notAfter: string;
  issuer: string;
  subject: string;
  /** SHA-256 fingerprint of the leaf. */
  fingerprint: string;
  source: 'manual' | 'acme';
  createdAt: string;
}

/** Associated data a certificate's key is sealed with. */
export const certKeyContext = (hostname: string) => `cert:${hostname}`;

/** Parses a `certs/<host>` value; undefined when it is not a certificate record. */
export function parseCertRecord(raw: string): CertRecord | undefined {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return undefined; // reported by the caller as an unusable record
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as Partial<CertRecord>;
  if (typeof r.hostname !== 'string' || typeof r.cert !== 'string' || !(typeof r.key === 'string' || isSealed(r.key))) return undefined;
  return r as CertRecord;
}

/** The certificate key a TLS server name looks for first, then second: exact name, then `*.` + its parent. */
export function certCandidates(servername: string): string[] {
  const host = servername.toLowerCase().replace(/\.$/, '');
  const dot = host.indexOf('.');
  return dot > 0 && host.indexOf('.', dot + 1) !== -1 ? [host, `*${host.slice(dot)}`] : [host];
}
