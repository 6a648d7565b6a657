// app.json `environments.review` (Heroku's format): the config vars and backing services of a review app. Pure:
// the text comes from the pushed source (hostile); every problem is one sentence naming the field.
import { parseJsonc } from '../release/jsonc.js';
import { SERVICE_KINDS, type ServiceKind } from '../services/kinds.js';
import { YbError } from '../shared/errors.js';

export interface ReviewConfig {
  env: Record<string, string>;
  services: ServiceKind[];
}

const CONFIG_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;
/** At most this many services per review app: each is a container on the host. */
export const MAX_REVIEW_SERVICES = 3;
const MAX_VALUE_BYTES = 32 * 1024;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Heroku add-on names and our kinds: `heroku-postgresql[:plan]`, `heroku-redis`, `postgres`, `{ "plan": "redis" }` … */
function kindOf(entry: unknown): ServiceKind | null {
  const name = typeof entry === 'string' ? entry : isObj(entry) && typeof entry.plan === 'string' ? entry.plan : null;
  if (name === null) return null;
  const base = name.split(':')[0]!.toLowerCase();
  const alias: Record<string, ServiceKind> = { 'heroku-postgresql': 'postgres', postgresql: 'postgres', 'heroku-redis': 'redis', jawsdb: 'mysql' };
  const kind = alias[base] ?? base;
  return (SERVICE_KINDS as readonly string[]).includes(kind) ? (kind as ServiceKind) : null;
}

/** The review environment of an app.json text; empty when the file or the section is absent. */
export function parseReviewConfig(text: string | null): ReviewConfig {
  const none: ReviewConfig = { env: {}, services: [] };
  if (text === null) return none;
  const parsed = parseJsonc(text, 'app.json');
  if ('error' in parsed) throw new YbError('YB_ERR_DEPLOY_FAILED', parsed.error);
  const doc = parsed.value;
  const review = isObj(doc) && isObj(doc.environments) ? doc.environments.review : undefined;
  if (review === undefined) return none;
  if (!isObj(review)) throw new YbError('YB_ERR_DEPLOY_FAILED', 'app.json "environments.review" must be an object');
  const env: Record<string, string> = {};
  if (review.env !== undefined) {
    if (!isObj(review.env)) throw new YbError('YB_ERR_DEPLOY_FAILED', 'app.json "environments.review.env" must be an object');
    for (const [k, v] of Object.entries(review.env)) {
      const value = typeof v === 'string' ? v : isObj(v) && typeof v.value === 'string' ? v.value : null;
      if (!CONFIG_KEY.test(k))
        throw new YbError('YB_ERR_DEPLOY_FAILED', `app.json "environments.review.env": "${k.slice(0, 64)}" is not a valid config var name`);
      if (value === null || Buffer.byteLength(value) > MAX_VALUE_BYTES)
        throw new YbError('YB_ERR_DEPLOY_FAILED', `app.json "environments.review.env.${k}" must be a string (or {"value": string}) of at most 32 KiB`);
      env[k] = value;
    }
  }
  const services: ServiceKind[] = [];
  for (const field of ['addons', 'services'] as const) {
    const list = review[field];
    if (list === undefined) continue;
    if (!Array.isArray(list)) throw new YbError('YB_ERR_DEPLOY_FAILED', `app.json "environments.review.${field}" must be an array`);
    for (const [i, entry] of list.entries()) {
      const kind = kindOf(entry);
      if (!kind)
        throw new YbError(
          'YB_ERR_DEPLOY_FAILED',
          `app.json "environments.review.${field}[${i}]" is not a service this platform provides (${SERVICE_KINDS.join(', ')})`,
        );
      if (!services.includes(kind)) services.push(kind);
    }
  }
  if (services.length > MAX_REVIEW_SERVICES)
    throw new YbError('YB_ERR_DEPLOY_FAILED', `app.json "environments.review" asks for more than ${MAX_REVIEW_SERVICES} services`);
  return { env, services };
}
