// OCSP stapling for the router's HTTPS listener (docs/architecture.md §2): the response of the responder a leaf
// names (authorityInfoAccess) is fetched in the background when a client first asks, cached until its nextUpdate
// and stapled, as nginx does; a handshake never waits for a fetch nor fails because of one.
import { createHash, X509Certificate } from 'node:crypto';
import { request } from 'node:http';
import type { Logger } from 'pino';
import { guardedLookup, literalRefusal } from '../shared/outbound-guard.js';

// The URL is tenant-controlled: plain http only, GET (no request body for a service that is not a responder to act
// on), no redirects, bounded in time and size, one fetch per certificate at a time. The response's signature is the
// client's to check (nginx's default, ssl_stapling_verify off).
const MAX_RESPONSE_BYTES = 64 * 1024;
const FETCH_TIMEOUT_MS = 5_000;
const RETRY_MS = 5 * 60_000;
/** Without a nextUpdate the response is fetched again after this long. */
const DEFAULT_TTL_MS = 60 * 60_000;
/** Refetched this long before nextUpdate, so a fresh response is ready when the old one expires. */
const REFRESH_BEFORE_MS = 5 * 60_000;
const MAX_ENTRIES = 10_000;

interface Tlv {
  tag: number;
  /** First byte of the whole element (tag). */
  head: number;
  /** First byte of the contents. */
  start: number;
  /** One past the last byte of the contents. */
  end: number;
}

/** One DER element at `pos` (definite lengths only, as DER requires); throws on anything out of bounds. */
export function readTlv(buf: Buffer, pos: number, limit = buf.length): Tlv {
  if (pos + 2 > limit) throw new Error('truncated DER element');
  const tag = buf[pos]!;
  let len = buf[pos + 1]!;
  let start = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > limit) throw new Error('bad DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i]!;
    start += n;
  }
  if (start + len > limit) throw new Error('DER element longer than its container');
  return { tag, head: pos, start, end: start + len };
}

/** The children of a constructed element. */
function children(buf: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let p = parent.start; p < parent.end; ) {
    const t = readTlv(buf, p, parent.end);
    out.push(t);
    p = t.end;
  }
  return out;
}

function der(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const n = body.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}

/** tbsCertificate's fields, with the optional [0] version skipped: serial, signature, issuer, validity, subject, spki. */
function tbsFields(cert: Buffer): Tlv[] {
  const tbs = children(cert, readTlv(cert, 0))[0];
  if (!tbs) throw new Error('not a certificate');
  const f = children(cert, tbs);
  return f[0]?.tag === 0xa0 ? f.slice(1) : f;
}

/** The DER OCSPRequest (RFC 6960, SHA-1 CertID as responders expect) for `leaf` issued by `issuer`, and the leaf's serial. */
export function ocspRequest(leaf: Buffer, issuer: Buffer): { request: Buffer; serial: Buffer } {
  const serialTlv = tbsFields(leaf)[0]!;
  if (serialTlv.tag !== 0x02) throw new Error('certificate serial number not found');
  const serial = leaf.subarray(serialTlv.head, serialTlv.end);
  const f = tbsFields(issuer);
  const subject = f[4];
  const spki = f[5];
  if (!subject || !spki) throw new Error('issuer certificate incomplete');
  const bits = children(issuer, spki)[1];
  if (bits?.tag !== 0x03) throw new Error('issuer public key not found');
  const sha1 = (b: Buffer) => createHash('sha1').update(b).digest();
  const certId = der(
    0x30,
    der(0x30, Buffer.from('06052b0e03021a0500', 'hex')), // sha1, NULL parameters
    der(0x04, sha1(issuer.subarray(subject.head, subject.end))),
    der(0x04, sha1(issuer.subarray(bits.start + 1, bits.end))), // the key's bits, without the unused-bits byte
    serial,
  );
  return { request: der(0x30, der(0x30, der(0x30, der(0x30, certId)))), serial };
}

const BASIC_OID = Buffer.from('2b0601050507300101', 'hex'); // id-pkix-ocsp-basic

function generalizedTime(buf: Buffer, t: Tlv): number {
  if (t.tag !== 0x18) throw new Error('expected a GeneralizedTime');
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/.exec(buf.toString('latin1', t.start, t.end));
  if (!m) throw new Error('malformed GeneralizedTime');
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}

/**
 * Checks a DER OCSPResponse is a successful basic response about `serial`, current at `now` (good or revoked, not
 * unknown); returns when it stops being current (undefined: no nextUpdate). Throws a one-sentence reason otherwise.
 */
export function checkOcspResponse(buf: Buffer, serial: Buffer, now: number): { nextUpdate: number | undefined } {
  const top = readTlv(buf, 0);
  if (top.tag !== 0x30 || top.end !== buf.length) throw new Error('the OCSP response is not one DER sequence');
  const [status, bytes] = children(buf, top);
  if (status?.tag !== 0x0a || buf[status.start] !== 0) throw new Error('the OCSP responder did not answer "successful"');
  if (bytes?.tag !== 0xa0) throw new Error('the OCSP response has no response bytes');
  const [type, octets] = children(buf, children(buf, bytes)[0] ?? bytes);
  if (type?.tag !== 0x06 || !buf.subarray(type.start, type.end).equals(BASIC_OID) || octets?.tag !== 0x04)
    throw new Error('the OCSP response is not a basic response');
  const basic = readTlv(buf, octets.start, octets.end);
  const tbs = children(buf, basic)[0];
  if (!tbs) throw new Error('the OCSP response has no response data');
  let fields = children(buf, tbs);
  if (fields[0]?.tag === 0xa0) fields = fields.slice(1); // version
  const responses = fields[2];
  if (responses?.tag !== 0x30) throw new Error('the OCSP response lists no responses');
  for (const single of children(buf, responses)) {
    const [certId, certStatus, thisUpdate, ...rest] = children(buf, single);
    if (!certId || !certStatus || !thisUpdate) continue;
    const idSerial = children(buf, certId)[3];
    if (!idSerial || !buf.subarray(idSerial.head, idSerial.end).equals(serial)) continue;
    if (certStatus.tag === 0x82) throw new Error('the OCSP responder does not know the certificate');
    if (generalizedTime(buf, thisUpdate) > now + 5 * 60_000) throw new Error('the OCSP response is not valid yet');
    const next = rest[0]?.tag === 0xa0 ? generalizedTime(buf, readTlv(buf, rest[0].start, rest[0].end)) : undefined;
    if (next !== undefined && next <= now) throw new Error('the OCSP response has expired');
    return { nextUpdate: next };
  }
  throw new Error('the OCSP response is not about this certificate');
}

/** The certificate's OCSP responder URL when it names a plain-http one. */
export function ocspUrl(leaf: Buffer): string | undefined {
  const info = new X509Certificate(leaf).infoAccess;
  const m = info && /^OCSP - URI:(http:\/\/\S+)$/m.exec(info);
  return m?.[1];
}

/**
 * GET `base/<base64 request>` (RFC 6960 appendix A.1), bounded in time and size; loopback and private addresses
 * only with `allowPrivate` (YB_OUTBOUND_PRIVATE), as for every user-given URL (shared/outbound-guard.ts).
 */
export function fetchOcsp(base: string, req: Buffer, allowPrivate: boolean): Promise<Buffer> {
  const url = new URL(base.replace(/\/?$/, '/') + encodeURIComponent(req.toString('base64')));
  const refused = literalRefusal(url.hostname, allowPrivate);
  if (refused) return Promise.reject(refused);
  return new Promise((resolve, reject) => {
    const opts = { method: 'GET', timeout: FETCH_TIMEOUT_MS, headers: { accept: 'application/ocsp-response' }, lookup: guardedLookup(allowPrivate) };
    const r = request(url, opts, (res) => {
      if (res.statusCode !== 200) return (res.destroy(), reject(new Error(`the OCSP responder answered ${res.statusCode}`)));
      const parts: Buffer[] = [];
      let size = 0;
      res.on('data', (d: Buffer) => {
        size += d.length;
        if (size > MAX_RESPONSE_BYTES) res.destroy(new Error(`the OCSP response is larger than ${MAX_RESPONSE_BYTES} bytes`));
        else parts.push(d);
      });
      res.on('error', reject);
      res.on('end', () => resolve(Buffer.concat(parts)));
    });
    // A responder that sends slowly is cut at the deadline as one that sends nothing.
    const deadline = setTimeout(() => r.destroy(new Error(`the OCSP responder took longer than ${FETCH_TIMEOUT_MS} ms`)), FETCH_TIMEOUT_MS);
    r.on('close', () => clearTimeout(deadline));
    r.on('timeout', () => r.destroy(new Error('the OCSP responder stopped answering')));
    r.on('error', reject);
    r.end();
  });
}

interface Entry {
  response: Buffer | undefined;
  /** Staple until then (ms since the epoch). */
  validUntil: number;
  /** Fetch again from then on. */
  refreshAt: number;
  fetching: boolean;
}

export class OcspStapler {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly log: Logger,
    /** YB_OUTBOUND_PRIVATE: responders on loopback and private networks may be asked. */
    private readonly allowPrivate: boolean,
  ) {}

  /** For the TLS server's 'OCSPRequest' event: the cached response, or none (and a fetch starts). */
  readonly onRequest = (cert: Buffer, issuer: Buffer | null, cb: (err: Error | null, resp: Buffer | null) => void): void => {
    let staple: Buffer | null = null;
    try {
      staple = this.lookup(cert, issuer);
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'no OCSP response to staple');
    }
    cb(null, staple);
  };

  private lookup(cert: Buffer, issuer: Buffer | null): Buffer | null {
    const key = createHash('sha256').update(cert).digest('base64');
    const now = Date.now();
    let e = this.entries.get(key);
    if (!e) {
      if (!issuer) return null; // nothing to ask about without the issuer (the chain does not include it)
      const url = ocspUrl(cert);
      if (!url) return null;
      if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
      e = { response: undefined, validUntil: 0, refreshAt: 0, fetching: false };
      this.entries.set(key, e);
    }
    if (now >= e.refreshAt && !e.fetching && issuer) this.refresh(e, cert, issuer, now);
    return e.response && now < e.validUntil ? e.response : null;
  }

  private refresh(e: Entry, cert: Buffer, issuer: Buffer, now: number): void {
    const url = ocspUrl(cert);
    if (!url) return;
    e.fetching = true;
    e.refreshAt = now + RETRY_MS; // also the retry time if this fetch fails
    const { request: req, serial } = ocspRequest(cert, issuer);
    fetchOcsp(url, req, this.allowPrivate)
      .then((resp) => {
        const at = Date.now();
        const { nextUpdate } = checkOcspResponse(resp, serial, at);
        e.response = resp;
        e.validUntil = nextUpdate ?? at + DEFAULT_TTL_MS;
        e.refreshAt = Math.max(at + 60_000, e.validUntil - REFRESH_BEFORE_MS);
      })
      .catch((err: Error) => this.log.warn({ url, err: err.message }, 'OCSP response not fetched; the certificate is served without one'))
      .finally(() => (e.fetching = false));
  }
}
