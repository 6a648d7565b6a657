// Reads an uploaded certificate chain and private key: do they parse, does the key match the leaf, when does it
// expire, which host names does it cover. Pure (node:crypto only); used by the API before a certificate is stored.
import { X509Certificate, createPrivateKey } from 'node:crypto';

export interface CertInfo {
  /** DNS names of the leaf (subjectAltName, else its CN), lower-case. */
  names: string[];
  notBefore: Date;
  notAfter: Date;
  issuer: string;
  subject: string;
  fingerprint: string;
  /** The chain as given, normalised to PEM blocks joined by newlines (leaf first). */
  chain: string;
}

export type Inspection = { ok: true; info: CertInfo } | { ok: false; problem: string };

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** A distinguished name as one line, `CN=…, O=…`; `CN` alone when `short`. */
function dn(text: string | undefined, short: boolean): string {
  const parts = (text ?? '')
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean);
  const cn = parts.find((p) => p.startsWith('CN='));
  return short && cn ? cn.slice(3) : parts.join(', ');
}

export function inspectCertificate(certPem: string, keyPem: string, now = new Date()): Inspection {
  const blocks = certPem.match(PEM_CERT);
  if (!blocks) return { ok: false, problem: 'the certificate file holds no PEM certificate' };
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(blocks[0]);
    for (const b of blocks.slice(1)) new X509Certificate(b);
  } catch (err) {
    return { ok: false, problem: `the certificate could not be read (${(err as Error).message})` };
  }
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    return { ok: false, problem: 'the key file holds no unencrypted PEM private key' }; // never echo key material
  }
  if (!leaf.checkPrivateKey(key)) return { ok: false, problem: 'the private key does not belong to the certificate' };
  const notAfter = new Date(leaf.validTo);
  const notBefore = new Date(leaf.validFrom);
  if (notAfter <= now) return { ok: false, problem: `the certificate expired on ${notAfter.toISOString()}` };
  const san = (leaf.subjectAltName ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4).toLowerCase());
  const cn = dn(leaf.subject, true);
  const names = san.length > 0 ? san : cn ? [cn.toLowerCase()] : [];
  return {
    ok: true,
    info: {
      names,
      notBefore,
      notAfter,
      issuer: dn(leaf.issuer, false),
      subject: dn(leaf.subject, false),
      fingerprint: leaf.fingerprint256,
      chain: blocks.join('\n') + '\n',
    },
  };
}

/** Does a certificate for `names` serve `host`? A wildcard host needs the same wildcard name; `*.x` covers one label. */
export function certCovers(names: readonly string[], host: string): boolean {
  const h = host.toLowerCase();
  if (names.includes(h)) return true;
  if (h.startsWith('*.')) return false;
  const dot = h.indexOf('.');
  return dot > 0 && names.includes(`*${h.slice(dot)}`);
}
