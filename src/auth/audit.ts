// Audit events: who did what to which app, when and from where, kept per team under
// events/<team>/<ts>-<id> (account-level events under events/_account/). Records never hold secret
// values: config changes list keys only. recordEvent never throws: auditing must not fail the action.
import { randomBytes } from 'node:crypto';
import type { Store } from '../store/store.js';
import type { Logger } from '../shared/logger.js';

export interface AuditEvent {
  id: string;
  at: string;
  /** Team the event belongs to; `_account` for a user's own tokens and keys. */
  team: string;
  user: string;
  /** e.g. app.create, app.destroy, config.set, config.unset, deploy, rollback, scale, restart, team.create, member.add, token.create */
  action: string;
  app?: string;
  ip?: string;
  /** Non-secret details: config keys, versions, quantities, member names, token ids. */
  detail?: Record<string, unknown>;
}

export const ACCOUNT_EVENTS = '_account';

export function eventsPrefix(store: Store, team?: string): string {
  return team === undefined ? `${store.keys.prefix}events/` : `${store.keys.prefix}events/${team}/`;
}

/** Key of one event: sortable by time (milliseconds, zero-padded), unique by a random suffix. */
export function eventKey(store: Store, team: string, atMs: number, id: string): string {
  return `${eventsPrefix(store, team)}${String(atMs).padStart(15, '0')}-${id}`;
}

export async function recordEvent(store: Store, e: Omit<AuditEvent, 'id' | 'at'>, log?: Logger): Promise<AuditEvent | null> {
  const now = Date.now();
  const ev: AuditEvent = { id: randomBytes(6).toString('hex'), at: new Date(now).toISOString(), ...e };
  try {
    await store.put(eventKey(store, ev.team, now, ev.id), ev);
    return ev;
  } catch (err) {
    log?.warn({ err, action: e.action, app: e.app }, 'could not record an audit event');
    return null;
  }
}

/** Events of the given teams, newest first, optionally of one app only. */
export async function listEvents(store: Store, teams: string[], opts: { app?: string; user?: string; limit?: number } = {}): Promise<AuditEvent[]> {
  const out: AuditEvent[] = [];
  for (const team of teams) {
    for (const e of await store.list<AuditEvent>(eventsPrefix(store, team))) {
      if (opts.app !== undefined && e.value.app !== opts.app) continue;
      if (opts.user !== undefined && e.value.user !== opts.user) continue;
      out.push(e.value);
    }
  }
  out.sort((a, b) => b.at.localeCompare(a.at));
  return out.slice(0, opts.limit ?? 100);
}
