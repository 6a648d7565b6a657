// An app's webhook in etcd (apps/<app>/webhook: provider, branch, the repository URL and the secret, both sealed) and
// its deliveries (apps/<app>/webhook-deliveries, a bounded list updated by compare-and-swap). Both go with the app (docs/architecture.md §4.1).
import { randomBytes } from 'node:crypto';
import type { Store } from '../store/store.js';
import { openFor, sealFor } from '../auth/secrets.js';
import { YbError } from '../shared/errors.js';
import { type Delivery, type Provider, isReplay, withDelivery } from './deliveries.js';

export interface WebhookRecord {
  app: string;
  provider: Provider;
  branch: string;
  /** The repository URL as given (it may hold a token): sealed. */
  repo: unknown;
  /** The repository URL without credentials, for showing. */
  repoShown: string;
  /** The shared secret (GitHub/Gitea HMAC key, GitLab token): sealed. */
  secret: unknown;
  /** Random, in the delivery URL: without it no one learns which apps have webhooks. */
  hookId: string;
  createdAt: string;
  createdBy: string;
}

/** A webhook with its sealed parts opened. */
export interface OpenWebhook extends Omit<WebhookRecord, 'repo' | 'secret'> {
  repo: string;
  secret: string;
}

const webhookKey = (store: Store, app: string) => `${store.keys.app(app)}/webhook`;
const deliveriesKey = (store: Store, app: string) => `${store.keys.app(app)}/webhook-deliveries`;
export const newSecret = () => randomBytes(32).toString('hex');

export async function getWebhook(store: Store, app: string): Promise<OpenWebhook | null> {
  const r = await store.get<WebhookRecord>(webhookKey(store, app));
  if (!r) return null;
  return { ...r, repo: openFor<string>(store, r.repo, `webhook-repo:${app}`), secret: openFor<string>(store, r.secret, `webhook-secret:${app}`) };
}

export async function putWebhook(store: Store, w: OpenWebhook): Promise<void> {
  const record: WebhookRecord = {
    ...w,
    repo: sealFor(store, w.repo, `webhook-repo:${w.app}`),
    secret: sealFor(store, w.secret, `webhook-secret:${w.app}`),
  };
  await store.put(webhookKey(store, w.app), record);
}

export async function deleteWebhook(store: Store, app: string): Promise<boolean> {
  const n = await store.delete(webhookKey(store, app));
  await store.delete(deliveriesKey(store, app));
  return n > 0;
}

export async function listDeliveries(store: Store, app: string): Promise<Delivery[]> {
  return (await store.get<Delivery[]>(deliveriesKey(store, app))) ?? [];
}

/** Changes the list by compare-and-swap; `change` may throw (nothing is written then). */
async function updateDeliveries(store: Store, app: string, change: (list: Delivery[]) => Delivery[], create = true): Promise<void> {
  const key = deliveriesKey(store, app);
  for (let attempt = 0; attempt < 20; attempt++) {
    const entry = await store.getEntry<Delivery[]>(key);
    if (!entry && !create) return; // the webhook (or the app) is gone
    const next = change(entry?.value ?? []);
    if (entry ? await store.replace(key, next, entry.modRevision) : await store.create(key, next)) return;
  }
  throw new YbError('YB_ERR_CONFLICT', 'the webhook deliveries changed too often at once; the delivery was not recorded');
}

/** Records a delivery; a verified one whose id or body was seen before is refused as a replay (atomically). */
export async function recordDelivery(store: Store, app: string, d: Delivery): Promise<void> {
  await updateDeliveries(store, app, (list) => {
    if (d.verified && isReplay(list, d.id, d.digest))
      throw new YbError('YB_ERR_CONFLICT', `delivery ${d.id.slice(0, 64)} was received before (a replay); it is not deployed again`);
    return withDelivery(list, d);
  });
}

/** Sets the outcome of a recorded delivery (its deploy finished). */
export async function settleDelivery(
  store: Store,
  app: string,
  id: string,
  outcome: Partial<Pick<Delivery, 'outcome' | 'message' | 'release'>>,
): Promise<void> {
  await updateDeliveries(store, app, (list) => list.map((d) => (d.id === id && d.verified ? { ...d, ...outcome } : d)), false);
}
