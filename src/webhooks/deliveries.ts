// Webhook deliveries (docs/architecture.md §4.1): checking a delivery's signature over its raw body, reading the push
// it describes in GitHub's, GitLab's or Gitea's shape, and the bounded list of deliveries kept per app. Pure: no I/O.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const PROVIDERS = ['github', 'gitlab', 'gitea'] as const;
export type Provider = (typeof PROVIDERS)[number];

type Headers = Record<string, string | string[] | undefined>;
const header = (h: Headers, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

/** Equal strings, compared in constant time (both hashed first, so their lengths leak nothing either). */
function sameText(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
}

/** What is wrong with a delivery's provider headers and signature; undefined when it is this webhook's. */
export function signatureProblem(provider: Provider, h: Headers, raw: Buffer, secret: string): { status: 400 | 401; message: string } | undefined {
  const hmac = () => createHmac('sha256', secret).update(raw).digest('hex');
  if (provider === 'github') {
    if (!header(h, 'x-github-event')) return { status: 400, message: 'this webhook takes GitHub deliveries, and the X-GitHub-Event header is missing' };
    const sig = header(h, 'x-hub-signature-256');
    if (!sig) return { status: 401, message: 'the delivery has no X-Hub-Signature-256 header; set the secret on the GitHub webhook' };
    return sameText(sig.trim().toLowerCase(), `sha256=${hmac()}`)
      ? undefined
      : { status: 401, message: "the delivery's signature does not match the webhook's secret" };
  }
  if (provider === 'gitea') {
    if (!header(h, 'x-gitea-event')) return { status: 400, message: 'this webhook takes Gitea deliveries, and the X-Gitea-Event header is missing' };
    const sig = header(h, 'x-gitea-signature');
    if (!sig) return { status: 401, message: 'the delivery has no X-Gitea-Signature header; set the secret on the Gitea webhook' };
    return sameText(sig.trim().toLowerCase(), hmac()) ? undefined : { status: 401, message: "the delivery's signature does not match the webhook's secret" };
  }
  if (!header(h, 'x-gitlab-event')) return { status: 400, message: 'this webhook takes GitLab deliveries, and the X-Gitlab-Event header is missing' };
  const token = header(h, 'x-gitlab-token');
  if (!token) return { status: 401, message: 'the delivery has no X-Gitlab-Token header; set the secret token on the GitLab webhook' };
  return sameText(token, secret) ? undefined : { status: 401, message: "the delivery's token does not match the webhook's secret" };
}

/** The delivery's event name and id as the provider sends them (the id may be absent: the body's digest stands in). */
export function deliveryOf(provider: Provider, h: Headers, raw: Buffer): { event: string; id: string; digest: string } {
  const digest = createHash('sha256').update(raw).digest('hex');
  const pick = (...names: string[]) => names.map((n) => header(h, n)).find((v) => v !== undefined && v !== '');
  const event = provider === 'github' ? pick('x-github-event') : provider === 'gitea' ? pick('x-gitea-event') : pick('x-gitlab-event');
  const id =
    provider === 'github'
      ? pick('x-github-delivery')
      : provider === 'gitea'
        ? pick('x-gitea-delivery')
        : pick('x-gitlab-event-uuid', 'x-gitlab-webhook-uuid', 'idempotency-key');
  return { event: (event ?? '').slice(0, 64), id: (id ?? digest).slice(0, 100), digest };
}

/** What a verified delivery asks for. */
export type Push =
  | { kind: 'ping' }
  | { kind: 'ignore'; reason: string }
  | { kind: 'push'; branch: string; commit: string; repositories: string[] }
  | { kind: 'bad'; reason: string };

const ZERO = /^0+$/;

/** Reads a verified delivery's JSON body; `branch` is the one the webhook deploys. */
export function readPush(provider: Provider, event: string, body: unknown, branch: string): Push {
  const isPing = provider === 'github' ? event === 'ping' : false;
  if (isPing) return { kind: 'ping' };
  const isPush = provider === 'gitlab' ? event === 'Push Hook' : event === 'push';
  if (!isPush) return { kind: 'ignore', reason: `${event || 'an unnamed'} event is not a push` };
  if (typeof body !== 'object' || body === null) return { kind: 'bad', reason: 'the payload is not a JSON object' };
  const b = body as Record<string, unknown>;
  const ref = typeof b.ref === 'string' ? b.ref : '';
  const after = typeof b.after === 'string' ? b.after : '';
  if (!ref.startsWith('refs/heads/')) return { kind: 'ignore', reason: `${ref.slice(0, 100) || 'the ref'} is not a branch` };
  const pushed = ref.slice('refs/heads/'.length);
  if (pushed !== branch) return { kind: 'ignore', reason: `a push to ${pushed.slice(0, 100)}, not ${branch}` };
  if (b.deleted === true || ZERO.test(after)) return { kind: 'ignore', reason: `${branch} was deleted` };
  if (!/^[0-9a-f]{40}$|^[0-9a-f]{64}$/.test(after)) return { kind: 'bad', reason: 'the payload names no commit ("after" is not a commit id)' };
  const urls: string[] = [];
  for (const holder of [b.repository, b.project]) {
    if (typeof holder !== 'object' || holder === null) continue;
    for (const field of ['clone_url', 'html_url', 'git_url', 'ssh_url', 'url', 'git_http_url', 'git_ssh_url', 'homepage', 'web_url']) {
      const v = (holder as Record<string, unknown>)[field];
      if (typeof v === 'string' && v.length < 2048) urls.push(v);
    }
  }
  return { kind: 'push', branch, commit: after, repositories: urls };
}

/** A repository URL reduced to host and path (no scheme, credentials, port, `.git` or trailing slash; lower case), for comparing. */
export function repositoryKey(url: string): string | null {
  const scp = /^[^@/:]+@([^:/]+):(.+)$/.exec(url);
  if (scp) return `${scp[1]}/${scp[2]}`.toLowerCase().replace(/\.git$|\/+$/g, '');
  try {
    const u = new URL(url);
    if (!u.hostname) return null;
    return `${u.hostname}${u.pathname}`
      .toLowerCase()
      .replace(/\/+$/, '')
      .replace(/\.git$/, '');
  } catch {
    return null;
  }
}

/** Whether any URL the payload names is the configured repository. */
export function namesRepository(configured: string, named: readonly string[]): boolean {
  const want = repositoryKey(configured);
  return want !== null && named.some((u) => repositoryKey(u) === want);
}

/** A delivery as recorded (yb webhooks:deliveries). */
export interface Delivery {
  id: string;
  digest: string;
  at: string;
  provider: Provider;
  event: string;
  /** HTTP status answered. */
  status: number;
  /** accepted (then deploying, deployed or failed), ignored, pong, refused. */
  outcome: string;
  message: string;
  commit?: string;
  release?: number;
  /** Its signature was good: only these count for replay protection, so unsigned floods cannot push them out. */
  verified: boolean;
}

export const KEPT_VERIFIED = 500;
export const KEPT_REFUSED = 50;

/** Whether a verified delivery with this id or body was seen before (a replay). */
export function isReplay(list: readonly Delivery[], id: string, digest: string): boolean {
  return list.some((d) => d.verified && (d.id === id || d.digest === digest));
}

/** The list with `d` added (newest last), the oldest dropped beyond the bounds of each kind. */
export function withDelivery(list: readonly Delivery[], d: Delivery): Delivery[] {
  const all = [...list, d];
  const verified = all.filter((x) => x.verified).slice(-KEPT_VERIFIED);
  const refused = all.filter((x) => !x.verified).slice(-KEPT_REFUSED);
  const keep = new Set([...verified, ...refused]);
  return all.filter((x) => keep.has(x));
}
