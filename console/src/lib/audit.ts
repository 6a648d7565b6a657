// Filtering audit events in the console. The API filters by app and bounds the count (GET /events?app=&limit=);
// team, actor, action and time are narrowed here over what it answered. Pure (unit-tested from the root).

export interface AuditEvent {
  id?: string;
  at?: string;
  team?: string;
  user?: string;
  action?: string;
  app?: string;
  ip?: string;
  detail?: Record<string, unknown>;
}

export interface AuditFilter {
  team: string;
  actor: string;
  /** A prefix of the action: "config" matches config.set and config.unset. */
  action: string;
  /** Only events at or after this many hours ago (0: any time). */
  sinceHours: number;
}

export const NO_FILTER: AuditFilter = { team: '', actor: '', action: '', sinceHours: 0 };

/** The events that pass every filter that is set, in the order given. Pure. */
export function filterEvents<T extends AuditEvent>(events: T[], f: AuditFilter, now = Date.now()): T[] {
  const since = f.sinceHours > 0 ? now - f.sinceHours * 3600_000 : null;
  const actor = f.actor.trim().toLowerCase();
  const action = f.action.trim().toLowerCase();
  return events.filter(
    (e) =>
      (!f.team || e.team === f.team) &&
      (!actor || (e.user ?? '').toLowerCase() === actor) &&
      (!action || (e.action ?? '').toLowerCase().startsWith(action)) &&
      (since === null || Date.parse(e.at ?? '') >= since),
  );
}

/** The distinct values of one field, sorted, for a filter's choices. Pure. */
export function distinct(events: AuditEvent[], field: 'team' | 'user' | 'action'): string[] {
  return [...new Set(events.map((e) => e[field]).filter((v): v is string => Boolean(v)))].sort();
}

/** An event's detail as one short line: `set=[A,B] unset=[]`. Pure. */
export function detailLine(detail: Record<string, unknown> | undefined): string {
  if (!detail) return '';
  return Object.entries(detail)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ')
    .slice(0, 200);
}
