// The Kubernetes API as the backend uses it (docs/architecture.md §6.2): JSON requests, watches and followed logs over
// HTTPS, and exec/attach over WebSocket. The kubeconfig (YB_KUBECONFIG) is read by @kubernetes/client-node, which
// also applies its credentials (client certificates, tokens, exec plugins); the requests themselves are ours.
import { request, type RequestOptions } from 'node:https';
import { request as plainRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { KubeConfig } from '@kubernetes/client-node';
import WebSocket from 'ws';
import { YbError } from '../../shared/errors.js';
import { RuntimeUnavailableError } from '../runtime.js';

/** An answer of the API server other than 2xx. */
export class KubeError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'KubeError';
  }
}

/** What a request's options need beyond method and path. */
type Query = Record<string, string | number | boolean | undefined>;

const CALL_TIMEOUT_MS = 30_000;

function withQuery(path: string, query: Query = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export class KubeApi {
  private readonly kc = new KubeConfig();
  private readonly server: URL;

  constructor(kubeconfigPath: string) {
    try {
      this.kc.loadFromFile(kubeconfigPath);
    } catch (err) {
      throw new RuntimeUnavailableError(`cannot read the kubeconfig ${kubeconfigPath} (YB_KUBECONFIG): ${(err as Error).message}`, { cause: err });
    }
    const cluster = this.kc.getCurrentCluster();
    if (!cluster) throw new RuntimeUnavailableError(`the kubeconfig ${kubeconfigPath} (YB_KUBECONFIG) names no current cluster`);
    this.server = new URL(cluster.server);
  }

  /** Where the API server is (for messages). */
  get where(): string {
    return this.server.host;
  }

  private async options(method: string, path: string, headers: Record<string, string> = {}): Promise<RequestOptions> {
    const opts: RequestOptions = {
      method,
      host: this.server.hostname.replace(/^\[|\]$/g, ''),
      port: this.server.port || (this.server.protocol === 'https:' ? 443 : 80),
      path: `${this.server.pathname.replace(/\/$/, '')}${path}`,
      headers: { accept: 'application/json', ...headers },
      agent: false,
    };
    await this.kc.applyToHTTPSOptions(opts);
    return opts;
  }

  /** Sends a request; resolves to the response once its headers came (the caller reads or destroys it). */
  private async send(method: string, path: string, body?: unknown, contentType = 'application/json', timeoutMs = CALL_TIMEOUT_MS): Promise<IncomingMessage> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const opts = await this.options(method, path, payload ? { 'content-type': contentType, 'content-length': String(payload.length) } : {});
    const make = this.server.protocol === 'https:' ? request : plainRequest;
    return new Promise((resolve, reject) => {
      const req = make(opts, resolve);
      if (timeoutMs) req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
      req.on('error', (err) =>
        reject(
          new RuntimeUnavailableError(
            `the Kubernetes API server at ${this.where} is not reachable (${err.message}); check YB_KUBECONFIG or run scripts/k8s-up.sh`,
            {
              cause: err,
            },
          ),
        ),
      );
      req.end(payload);
    });
  }

  private static async read(res: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  /** A JSON request; throws KubeError for non-2xx answers. */
  async call<T = unknown>(method: string, path: string, opts: { body?: unknown; query?: Query; contentType?: string } = {}): Promise<T> {
    const res = await this.send(method, withQuery(path, opts.query), opts.body, opts.contentType);
    const text = await KubeApi.read(res);
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      let reason = '';
      let message = text.slice(0, 300);
      try {
        const s = JSON.parse(text) as { reason?: string; message?: string };
        reason = s.reason ?? '';
        message = s.message ?? message;
      } catch {
        // not a Status object: the text is the message
      }
      throw new KubeError(status, reason, `Kubernetes answered ${status} to ${method} ${path.split('?')[0]}: ${message}`);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Like call, but an answer with one of `statuses` resolves to `fallback`. */
  async tolerate<T, F>(
    method: string,
    path: string,
    statuses: number[],
    fallback: F,
    opts: { body?: unknown; query?: Query; contentType?: string } = {},
  ): Promise<T | F> {
    try {
      return await this.call<T>(method, path, opts);
    } catch (err) {
      if (err instanceof KubeError && statuses.includes(err.status)) return fallback;
      throw err;
    }
  }

  /** A streamed GET (logs, watches): the body as it comes, or null on 404. */
  async stream(path: string, query: Query): Promise<Readable | null> {
    const res = await this.send('GET', withQuery(path, query), undefined, undefined, 0);
    if (res.statusCode === 404) {
      res.resume();
      return null;
    }
    if ((res.statusCode ?? 0) >= 300) {
      const text = await KubeApi.read(res);
      throw new KubeError(res.statusCode ?? 0, '', `Kubernetes answered ${res.statusCode} to GET ${path}: ${text.slice(0, 300)}`);
    }
    return res;
  }

  /** A WebSocket to an exec or attach subresource (channel protocol v5, which can close stdin alone). */
  async socket(path: string, query: Array<[string, string]>): Promise<WebSocket> {
    const q = new URLSearchParams(query).toString();
    const opts = await this.options('GET', `${path}?${q}`);
    const scheme = this.server.protocol === 'https:' ? 'wss:' : 'ws:';
    const url = `${scheme}//${this.server.host}${opts.path}`;
    const ws = new WebSocket(url, ['v5.channel.k8s.io'], {
      ca: opts.ca,
      cert: opts.cert,
      key: opts.key,
      headers: opts.headers as Record<string, string>,
      rejectUnauthorized: (opts as { rejectUnauthorized?: boolean }).rejectUnauthorized,
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => {
        void KubeApi.read(res).then((text) => reject(new KubeError(res.statusCode ?? 0, '', `Kubernetes refused ${path}: ${text.slice(0, 300)}`)));
      });
      ws.once('error', (err) => reject(new YbError('YB_ERR_INTERNAL', `cannot open ${path} on the Kubernetes API server: ${err.message}`, { cause: err })));
    });
    return ws;
  }
}
