// One log line of an app and its Heroku-style text form (`<time> app[web.1]: …`, `router: …`, `yb[deploy]: …`),
// plus the filters of `yb logs`. Pure: no I/O.

export type LogSource = 'app' | 'router' | 'yb';
export const LOG_SOURCES: readonly LogSource[] = ['app', 'router', 'yb'];

/** A line as kept on disk (short keys: 10,000 of these per app). */
export interface LogLine {
  /** ISO time with milliseconds. */
  t: string;
  s: LogSource;
  /** Process (`web.1`), platform component (`deploy`), or '' for router lines. */
  p: string;
  m: string;
  /** Container id (12 hex) of app lines: with `d`, where to resume following that container. */
  c?: string;
  /** Docker's timestamp of the line, normalised by `dockerTimeKey` (sortable as a string). */
  d?: string;
  /** Router lines: byte offset in the router log just after this line (where to resume tailing). */
  o?: number;
}

export interface LogFilter {
  ps?: string;
  source?: LogSource;
}

/** `2026-11-26T00:00:00.000Z app[web.1]: listening` */
export function formatLine(l: LogLine): string {
  const who = l.s === 'router' ? 'router' : `${l.s}[${l.p}]`;
  return `${l.t} ${who}: ${l.m}`;
}

/** `--ps web` matches web.1, web.2 …; `--ps web.1` only that process. Router lines have no process. */
export function matches(l: LogLine, f: LogFilter): boolean {
  if (f.source && l.s !== f.source) return false;
  if (f.ps && !(l.p === f.ps || l.p.startsWith(`${f.ps}.`))) return false;
  return true;
}

/** The router's JSON access-log entry (pino line with kind "access"). */
export interface AccessRecord {
  time?: string;
  kind?: string;
  app?: string;
  method?: string;
  host?: string;
  path?: string;
  status?: number;
  duration?: number;
  bytes?: number;
  upstream?: string;
  requestId?: string;
  error?: string;
}

const quoteIfNeeded = (v: string) => (/[\s"]/.test(v) ? JSON.stringify(v) : v);

/** `method=GET path=/ host=hello.localhost status=200 duration=3ms bytes=12 upstream=127.0.0.1:32768 request_id=…` */
export function formatAccess(e: AccessRecord): string {
  const parts = [
    `method=${e.method ?? '-'}`,
    `path=${quoteIfNeeded(e.path ?? '-')}`,
    `host=${e.host ?? '-'}`,
    `status=${e.status ?? 0}`,
    `duration=${Math.round(e.duration ?? 0)}ms`,
    `bytes=${e.bytes ?? 0}`,
    `upstream=${e.upstream ?? '-'}`,
  ];
  if (e.requestId) parts.push(`request_id=${e.requestId}`);
  if (e.error) parts.push(`error=${quoteIfNeeded(e.error)}`);
  return parts.join(' ');
}

/**
 * Parses one router log line; returns the app and the log line for access entries of a routed app, else null
 * (router start-up messages, requests that matched no app, garbage).
 */
export function parseRouterLine(text: string, offsetAfter: number): { app: string; line: LogLine } | null {
  if (!text.startsWith('{')) return null;
  let e: AccessRecord;
  try {
    e = JSON.parse(text) as AccessRecord;
  } catch {
    return null; // a torn or foreign line: not an access entry
  }
  if (e.kind !== 'access' || !e.app || e.app === '-') return null;
  const t = e.time && !Number.isNaN(Date.parse(e.time)) ? new Date(e.time).toISOString() : new Date().toISOString();
  return { app: e.app, line: { t, s: 'router', p: '', m: formatAccess(e), o: offsetAfter } };
}

/**
 * Docker's RFC3339Nano time (trailing zeros trimmed, e.g. `…:05.1234Z`) as a fixed-width key that sorts as a
 * string: `2026-11-26T00:00:05.123400000Z`. Returns null for anything else.
 */
export function dockerTimeKey(ts: string): string | null {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(ts);
  if (!m) return null;
  return `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}Z`;
}

/** Splits a line Docker sent with `timestamps: true` into its time key and text. */
export function splitDockerLine(raw: string): { key: string; iso: string; text: string } | null {
  const sp = raw.indexOf(' ');
  const key = dockerTimeKey(sp < 0 ? raw : raw.slice(0, sp));
  if (!key) return null;
  return { key, iso: `${key.slice(0, 23)}Z`, text: sp < 0 ? '' : raw.slice(sp + 1) };
}

/** Seconds since the epoch for Docker's `since` parameter (whole seconds: lines of that second are filtered by key). */
export function sinceSeconds(key: string): number {
  return Math.floor(Date.parse(`${key.slice(0, 19)}Z`) / 1000);
}
