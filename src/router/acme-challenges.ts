// ACME HTTP-01 answers on the plain-HTTP listener: `certs-acme/<token>` keys in etcd (written by the control
// plane while it orders a certificate) are served at /.well-known/acme-challenge/<token> for any host,
// before routing and before the https-only redirect (the CA validates over plain HTTP).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SnapshotDelta } from './table-input.js';
import type { RequestHandler } from './tls-redirect.js';

export const ACME_PATH = '/.well-known/acme-challenge/';

/** `certs-acme/` sorts just before `certs/`, which keeps the router's single watch span narrow. */
export const acmeChallengesPrefix = (prefix: string) => `${prefix.endsWith('/') ? prefix : `${prefix}/`}certs-acme/`;
export const acmeChallengeKey = (prefix: string, token: string) => `${acmeChallengesPrefix(prefix)}${token}`;

export class AcmeChallenges {
  private readonly answers = new Map<string, string>();
  private readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = acmeChallengesPrefix(prefix);
  }

  apply(delta: SnapshotDelta): void {
    for (const k of delta.del) if (k.startsWith(this.prefix)) this.answers.delete(k.slice(this.prefix.length));
    for (const [k, v] of delta.set) {
      if (!k.startsWith(this.prefix)) continue;
      const answer = jsonString(v); // values are JSON, as everywhere in the store
      if (answer === undefined) this.answers.delete(k.slice(this.prefix.length));
      else this.answers.set(k.slice(this.prefix.length), answer);
    }
  }

  /** Wraps a request handler: challenge paths are answered here (404 when the token is unknown). */
  front(next: RequestHandler): RequestHandler {
    return (req: IncomingMessage, res: ServerResponse) => {
      const url = req.url;
      if (url === undefined || !url.startsWith(ACME_PATH)) return next(req, res);
      const answer = this.answers.get(url.slice(ACME_PATH.length));
      const body = answer ?? 'no such ACME challenge\n';
      res.writeHead(answer === undefined ? 404 : 200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
      req.resume();
    };
  }
}

function jsonString(raw: string): string | undefined {
  try {
    const v: unknown = JSON.parse(raw);
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined; // not a challenge answer; answered as unknown
  }
}
