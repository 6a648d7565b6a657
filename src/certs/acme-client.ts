// A minimal ACME (RFC 8555) client for HTTP-01: account, order, challenge, finalize, download. Signs with ES256
// over node:crypto and talks to the CA with fetch; the key authorisation of each challenge is handed to a
// ChallengeStore (etcd keys the routers serve under /.well-known/acme-challenge/). No platform imports: the control
// plane's certs component (docs/architecture.md §2) uses it; the router process only serves the answers.
import { createHash, createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ChallengeStore {
  set(token: string, keyAuthorization: string): Promise<void>;
  remove(token: string): Promise<void>;
}

export interface AcmeAccount {
  directoryUrl: string;
  /** PEM (PKCS#8) P-256 key of the ACME account. */
  accountKeyPem: string;
  email?: string;
}

interface Directory {
  newNonce: string;
  newAccount: string;
  newOrder: string;
}
interface Problem {
  type?: string;
  detail?: string;
}

export class AcmeError extends Error {}

const b64u = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** A new P-256 account key (PKCS #8 PEM), encoded by the generation itself: see generateEd25519 in git/host-key.ts. */
export function newAccountKeyPem(): string {
  return generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  }).privateKey;
}

/** A fresh P-256 certificate key and a DER CSR for `host` (made with the openssl CLI). */
export async function certificateRequest(host: string): Promise<{ keyPem: string; csrDer: Buffer }> {
  const keyPem = newAccountKeyPem();
  const dir = mkdtempSync(join(tmpdir(), 'yb-acme-'));
  try {
    writeFileSync(join(dir, 'key.pem'), keyPem, { mode: 0o600 });
    await run('openssl', [
      'req',
      '-new',
      '-key',
      join(dir, 'key.pem'),
      '-subj',
      `/CN=${host}`,
      '-addext',
      `subjectAltName=DNS:${host}`,
      '-outform',
      'DER',
      '-out',
      join(dir, 'csr.der'),
    ]);
    return { keyPem, csrDer: readFileSync(join(dir, 'csr.der')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export class AcmeClient {
  private dir: Directory | undefined;
  private nonce: string | undefined;
  private kid: string | undefined;
  private readonly key: KeyObject;
  private readonly jwk: Record<string, string>;
  readonly thumbprint: string;

  constructor(
    private readonly account: AcmeAccount,
    private readonly log: (msg: string) => void = () => undefined,
  ) {
    this.key = createPrivateKey(account.accountKeyPem);
    const j = this.key.export({ format: 'jwk' }) as Record<string, string>;
    this.jwk = { crv: j.crv!, kty: j.kty!, x: j.x!, y: j.y! };
    this.thumbprint = b64u(createHash('sha256').update(JSON.stringify(this.jwk)).digest()); // keys in lexical order
  }

  /** Orders, validates (HTTP-01) and downloads a certificate chain (PEM) for one host. */
  async issue(host: string, csrDer: Buffer, challenges: ChallengeStore, timeoutMs = 90_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    await this.ensureAccount();
    const orderRes = await this.post(this.dir!.newOrder, { identifiers: [{ type: 'dns', value: host }] });
    const orderUrl = orderRes.headers.get('location')!;
    type Order = { status: string; authorizations: string[]; finalize: string; certificate?: string; error?: Problem };
    let order = (await orderRes.json()) as Order;
    for (const authzUrl of order.authorizations) {
      const authz = (await (await this.post(authzUrl, null)).json()) as { status: string; challenges: Array<{ type: string; url: string; token: string }> };
      if (authz.status === 'valid') continue;
      const ch = authz.challenges.find((c) => c.type === 'http-01');
      if (!ch) throw new AcmeError(`the CA offers no http-01 challenge for ${host}`);
      await challenges.set(ch.token, `${ch.token}.${this.thumbprint}`);
      try {
        await this.post(ch.url, {});
        const done = await this.poll(authzUrl, deadline, (a: { status: string }) => a.status !== 'pending' && a.status !== 'processing');
        if (done.status !== 'valid') {
          const err = (done as { challenges?: Array<{ error?: Problem }> }).challenges?.find((c) => c.error)?.error;
          throw new AcmeError(`validation of ${host} failed: ${err?.detail ?? done.status}`);
        }
      } finally {
        await challenges.remove(ch.token);
      }
    }
    this.log(`authorised ${host}; finalizing`);
    await this.post(order.finalize, { csr: b64u(csrDer) });
    order = await this.poll<Order>(orderUrl, deadline, (o) => o.status === 'valid' || o.status === 'invalid');
    if (order.status !== 'valid' || !order.certificate) throw new AcmeError(`the order for ${host} ended ${order.status}: ${order.error?.detail ?? ''}`);
    return (await this.post(order.certificate, null, 'application/pem-certificate-chain')).text();
  }

  private async ensureAccount(): Promise<void> {
    if (!this.dir) {
      const res = await fetch(this.account.directoryUrl);
      if (!res.ok) throw new AcmeError(`ACME directory ${this.account.directoryUrl} answered ${res.status}`);
      this.dir = (await res.json()) as Directory;
    }
    if (this.kid) return;
    const payload: Record<string, unknown> = { termsOfServiceAgreed: true };
    if (this.account.email) payload.contact = [`mailto:${this.account.email}`];
    const res = await this.post(this.dir.newAccount, payload, undefined, true);
    this.kid = res.headers.get('location') ?? undefined;
    if (!this.kid) throw new AcmeError('the CA did not return an account URL');
  }

  private async poll<T extends { status: string }>(url: string, deadline: number, done: (v: T) => boolean): Promise<T> {
    for (let wait = 250; ; wait = Math.min(wait * 2, 2000)) {
      const res = await this.post(url, null);
      const v = (await res.json()) as T;
      if (done(v)) return v;
      if (Date.now() + wait > deadline) throw new AcmeError(`timed out waiting on ${url} (status ${v.status})`);
      await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after')) * 1000 || wait));
    }
  }

  private async freshNonce(): Promise<string> {
    if (this.nonce) {
      const n = this.nonce;
      this.nonce = undefined;
      return n;
    }
    const res = await fetch(this.dir!.newNonce, { method: 'HEAD' });
    const n = res.headers.get('replay-nonce');
    if (!n) throw new AcmeError('the CA gave no nonce');
    return n;
  }

  /** A JWS POST (payload null = POST-as-GET); retries once on badNonce. */
  private async post(url: string, payload: unknown, accept = 'application/json', useJwk = false): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      const protectedHeader = { alg: 'ES256', nonce: await this.freshNonce(), url, ...(useJwk ? { jwk: this.jwk } : { kid: this.kid }) };
      const p = b64u(JSON.stringify(protectedHeader));
      const body = payload === null ? '' : b64u(JSON.stringify(payload));
      const signature = b64u(sign('sha256', Buffer.from(`${p}.${body}`), { key: this.key, dsaEncoding: 'ieee-p1363' }));
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/jose+json', accept },
        body: JSON.stringify({ protected: p, payload: body, signature }),
      });
      this.nonce = res.headers.get('replay-nonce') ?? undefined;
      if (res.ok) return res;
      const problem = (await res.json().catch(() => ({}))) as Problem;
      if (problem.type === 'urn:ietf:params:acme:error:badNonce' && attempt < 3) continue;
      throw new AcmeError(`ACME ${new URL(url).pathname}: ${res.status} ${problem.detail ?? problem.type ?? ''}`.trim());
    }
  }
}
