// Audit-event retention: deletes events older than the retention period and, per team, all but the newest
// `maxPerTeam`, a small batch at a time (keys only, one range delete per batch) so that a large backlog does not
// monopolise etcd. Touches nothing outside events/; relies on the key layout of audit.ts (<team>/<ms>-<id>).
import type { Store } from '../store/store.js';
import { eventsPrefix } from './audit.js';

export interface RetentionOptions {
  /** Days events are kept; 0 keeps them forever. */
  maxAgeDays: number;
  /** Events kept per team (and for account events); 0 means no limit. */
  maxPerTeam: number;
  /** Keys deleted per etcd request. */
  batch?: number;
  /** Pause between two batches, in ms. */
  pauseMs?: number;
  now?: number;
}

export interface PruneResult {
  teams: number;
  /** Events deleted for being older than the retention period. */
  byAge: number;
  /** Events deleted for being beyond the per-team count. */
  byCount: number;
}

const DAY_MS = 24 * 3600_000;

/** The first key after every key that starts with `prefix`. */
export function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/** Keys of the events of one team older than `atMs` sort before this key. */
export function ageCutoffKey(teamPrefix: string, atMs: number): string {
  return `${teamPrefix}${String(Math.max(0, atMs)).padStart(15, '0')}`;
}

/** The teams that have events (including deleted teams and `_account`): one keys-only read per team. */
export async function eventTeams(store: Store): Promise<string[]> {
  const root = eventsPrefix(store);
  const end = prefixEnd(root);
  const teams: string[] = [];
  for (let start = root; ; ) {
    const [key] = await store.keysInRange(start, end, 1);
    if (key === undefined) return teams;
    const team = key.slice(root.length).split('/')[0]!;
    teams.push(team);
    start = prefixEnd(`${root}${team}/`); // skip the rest of this team's events
  }
}

/** Deletes up to `limit` of the first keys in [start, end); returns how many were deleted. */
async function deleteFirst(store: Store, start: string, end: string, limit: number): Promise<number> {
  const keys = await store.keysInRange(start, end, limit);
  if (!keys.length) return 0;
  // One range delete from the first to the last listed key: new events sort after them (their time is later).
  await store.deleteRange(keys[0]!, `${keys[keys.length - 1]!}\u0000`);
  return keys.length;
}

/** One pass of the retention rules over every team's events. */
export async function pruneEvents(store: Store, opts: RetentionOptions): Promise<PruneResult> {
  const batch = Math.max(1, opts.batch ?? 250);
  const pause = () => ((opts.pauseMs ?? 25) > 0 ? new Promise((r) => setTimeout(r, opts.pauseMs ?? 25)) : Promise.resolve());
  const now = opts.now ?? Date.now();
  const result: PruneResult = { teams: 0, byAge: 0, byCount: 0 };
  for (const team of await eventTeams(store)) {
    result.teams++;
    const prefix = eventsPrefix(store, team);
    if (opts.maxAgeDays > 0) {
      const cutoff = ageCutoffKey(prefix, now - opts.maxAgeDays * DAY_MS);
      for (let n = batch; n === batch; ) {
        n = await deleteFirst(store, prefix, cutoff, batch);
        result.byAge += n;
        if (n === batch) await pause();
      }
    }
    if (opts.maxPerTeam > 0) {
      for (let excess = (await store.count(prefix)) - opts.maxPerTeam; excess > 0; ) {
        const n = await deleteFirst(store, prefix, prefixEnd(prefix), Math.min(batch, excess));
        if (!n) break;
        result.byCount += n;
        excess -= n;
        if (excess > 0) await pause();
      }
    }
  }
  return result;
}
