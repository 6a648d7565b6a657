// The state side of `yb apps:rename` (docs/architecture.md §3.1), pure: where each key of an app goes under its new
// name, how a stored value changes with it, and the one transaction that switches routes, endpoints and references.
// No I/O: the caller reads the entries, runs the transaction and handles files and processes.
import type { EndpointRecord, Keys, RouteRecord } from '../store/keys.js';
import type { Sealed } from '../shared/sealed.js';
import { isSealed } from '../shared/sealed.js';

/** `locks/rename/<new>`: a rename in progress, so a crash mid-way is finished or undone by the next start. */
export interface RenameJournal {
  from: string;
  to: string;
  team: string;
  by: string;
  /** copying: the new keys are being written, the app still has its old name (undo); switched: it has the new name (finish). */
  phase: 'copying' | 'switched';
  startedAt: string;
}

/** `former-names/<old>`: where an app went, so its old git remote can say so. */
export interface FormerName {
  to: string;
  team: string;
  at: string;
}

/** The per-app prefixes whose keys move with the app: every key under them is moved, whatever feature wrote it. */
export function appPrefixes(k: Keys, app: string): string[] {
  return [`${k.app(app)}/`, k.buildsPrefix(app)];
}

/** The key `key` (under one of `from`'s prefixes) has under `to`; null for a key that is not the app's. */
export function movedKey(k: Keys, key: string, from: string, to: string): string | null {
  const [own, builds] = appPrefixes(k, from);
  if (key.startsWith(own!)) return `${k.app(to)}/${key.slice(own!.length)}`;
  if (key.startsWith(builds!)) return `${k.buildsPrefix(to)}${key.slice(builds!.length)}`;
  return null;
}

/** Seals `s` (sealed with associated data `ctx`) again with `next`; the caller holds the keys. */
export type Reseal = (s: Sealed, ctx: string, next: string) => Sealed;

/**
 * A stored value of the app under its new name: a top-level `app` naming the old app names the new one, a platform
 * image tag `yunbang-app/<old>:…` becomes `yunbang-app/<new>:…` (the caller tags the image so), and every sealed
 * part bound to the old name — associated data `<kind>:<old>` (auth/secrets.ts): the config, a release's config, a
 * webhook's secret — is sealed again for `<kind>:<new>`, whichever feature wrote it. Envelopes from before they
 * carried their context are config (`config:<old>`), the only app secret then.
 */
export function movedValue(value: unknown, from: string, to: string, reseal: Reseal): unknown {
  const follow = (s: Sealed, legacy?: string): Sealed => {
    const ctx = s.ctx ?? legacy;
    return ctx?.endsWith(`:${from}`) ? reseal(s, ctx, `${ctx.slice(0, -from.length)}${to}`) : s;
  };
  if (isSealed(value)) return follow(value, `config:${from}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  if (out.app === from) out.app = to;
  if (typeof out.image === 'string' && out.image.startsWith(`yunbang-app/${from}:`))
    out.image = `yunbang-app/${to}:${out.image.slice(`yunbang-app/${from}:`.length)}`;
  for (const [k, v] of Object.entries(out)) if (isSealed(v)) out[k] = follow(v, k === 'config' ? `config:${from}` : undefined);
  return out;
}

interface Kv<T = unknown> {
  key: string;
  value: T;
}

export interface CutoverInput {
  from: string;
  to: string;
  /** YB_DOMAIN: `<app>.<domain>` is the default host, which follows the name; other hosts stay with the app. */
  domain: string;
  app: Record<string, unknown>;
  routes: Array<Kv<RouteRecord>>;
  endpoints: Array<Kv<EndpointRecord>>;
  /** Service records (links name apps). */
  services: Array<Kv<{ links?: Array<{ app: string }> }>>;
  /** Certificate records (they name their app). */
  certs: Array<Kv<{ app?: string }>>;
  /** Every app's dependency records (`apps/<a>/deps/<other>`). */
  deps: Array<Kv<{ app: string; other: string }>>;
  /** Pipeline records (`workflow/pipelines/`): they name their apps and their review parent. */
  pipelines: Array<Kv<{ apps: Record<string, string>; reviewApps?: { parent: string } }>>;
  /** Review app records (`workflow/review-apps/<app>`): keyed by the review app, naming their parent. */
  reviewApps: Array<Kv<{ app: string; parent: string }>>;
  journal: RenameJournal;
  at: string;
}

/**
 * The one transaction that renames the app (docs/architecture.md §3.1): its record under the new name, the default host
 * moved and every other route pointing at the new name (their settings kept), its endpoints moved as they are (the
 * running processes keep serving), service links, certificates, other apps' dependencies on it, its pipeline and
 * review app records renamed, the journal
 * switched and the former name recorded. The copied keys were written before it; the old ones are deleted after it.
 */
export function cutover(k: Keys, i: CutoverInput): { puts: Kv[]; deletes: string[] } {
  const puts: Kv[] = [];
  const deletes: string[] = [k.app(i.from)];
  puts.push({ key: k.app(i.to), value: { ...i.app, name: i.to } });
  const oldDefault = k.route(`${i.from}.${i.domain}`);
  for (const r of i.routes) {
    if (r.value.app !== i.from) continue;
    const key = r.key === oldDefault ? k.route(`${i.to}.${i.domain}`) : r.key;
    if (key !== r.key) deletes.push(r.key);
    puts.push({ key, value: { ...r.value, app: i.to } });
  }
  for (const e of i.endpoints) {
    const rest = e.key.slice(k.endpointsPrefix(i.from).length);
    if (!e.key.startsWith(k.endpointsPrefix(i.from)) || rest === '') continue;
    puts.push({ key: `${k.endpointsPrefix(i.to)}${rest}`, value: e.value });
    deletes.push(e.key);
  }
  for (const s of i.services) {
    if (!s.value.links?.some((l) => l.app === i.from)) continue;
    puts.push({ key: s.key, value: { ...s.value, links: s.value.links.map((l) => (l.app === i.from ? { ...l, app: i.to } : l)) } });
  }
  for (const c of i.certs) if (c.value.app === i.from) puts.push({ key: c.key, value: { ...c.value, app: i.to } });
  for (const d of i.deps) {
    if (d.value.other !== i.from || d.value.app === i.from) continue;
    puts.push({ key: `${k.app(d.value.app)}/deps/${i.to}`, value: { ...d.value, other: i.to } });
    deletes.push(d.key);
  }
  for (const pl of i.pipelines) {
    const v = pl.value;
    const parent = v.reviewApps?.parent === i.from;
    if (!(i.from in v.apps) && !parent) continue;
    const apps = Object.fromEntries(Object.entries(v.apps).map(([a, stage]) => [a === i.from ? i.to : a, stage]));
    puts.push({ key: pl.key, value: { ...v, apps, ...(parent ? { reviewApps: { ...v.reviewApps, parent: i.to } } : {}) } });
  }
  for (const r of i.reviewApps) {
    if (r.value.app !== i.from && r.value.parent !== i.from) continue;
    const value = { ...r.value, app: r.value.app === i.from ? i.to : r.value.app, parent: r.value.parent === i.from ? i.to : r.value.parent };
    const key = k.reviewApp(value.app);
    if (key !== r.key) deletes.push(r.key);
    puts.push({ key, value });
  }
  puts.push({ key: k.renameJournal(i.to), value: { ...i.journal, phase: 'switched' } satisfies RenameJournal });
  puts.push({ key: k.formerName(i.from), value: { to: i.to, team: i.journal.team, at: i.at } satisfies FormerName });
  return { puts, deletes };
}

/**
 * New values for the config vars an app dependency on the renamed app set: same names (the dependent app's code
 * reads them), now naming the new host, which is the renamed app's address on the team network. Pure.
 */
export function dependentConfigPatch(config: Record<string, string>, keys: string[], from: string, to: string): Record<string, string> {
  const patch: Record<string, string> = {};
  for (const key of keys) {
    const v = config[key];
    if (v === undefined) continue;
    const next = v === from ? to : v.replace(`//${from}:`, `//${to}:`);
    if (next !== v) patch[key] = next;
  }
  return patch;
}

/** Follows former names from `name` (a rename chain a → b → c) to where the app is now; null when `name` never moved. */
export function currentName(name: string, formerNames: Map<string, string>): string | null {
  let at = name;
  const seen = new Set([name]);
  while (formerNames.has(at)) {
    at = formerNames.get(at)!;
    if (seen.has(at)) return null;
    seen.add(at);
  }
  return at === name ? null : at;
}
