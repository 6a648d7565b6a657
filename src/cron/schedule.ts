// Cron schedules as app.json `cron` entries write them (Dokku's cron, Heroku Scheduler): five fields (minute, hour,
// day of month, month, day of week) with `*`, lists, ranges, steps and English names, or @hourly/@daily/@weekly/
// @monthly/@yearly. Times are UTC. As in Vixie cron, when both day fields are restricted a day matching either runs.
// Pure: parsing, matching and counting; no timers here.

export interface Schedule {
  minute: ReadonlySet<number>;
  hour: ReadonlySet<number>;
  dom: ReadonlySet<number>;
  month: ReadonlySet<number>;
  /** 0 = Sunday; a 7 in the expression is read as 0. */
  dow: ReadonlySet<number>;
  domRestricted: boolean;
  dowRestricted: boolean;
}

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** Where the first name counts from (months: 1). */
  nameBase?: number;
}
const FIELDS: FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, nameBase: 1 },
  { name: 'day of week', min: 0, max: 7, names: DAYS, nameBase: 0 },
];

function value(text: string, f: FieldSpec): number {
  const named = f.names?.indexOf(text.toLowerCase()) ?? -1;
  if (named !== -1) return named + (f.nameBase ?? 0);
  if (!/^\d{1,2}$/.test(text)) throw new Error(`"${text}" is not a ${f.name}`);
  const n = Number(text);
  if (n < f.min || n > f.max) throw new Error(`${f.name} ${n} is outside ${f.min}-${f.max}`);
  return n;
}

function field(text: string, f: FieldSpec): Set<number> {
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const [range, stepText, extra] = part.split('/');
    if (extra !== undefined || range === undefined || range === '') throw new Error(`"${part}" is not a ${f.name}`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d{1,2}$/.test(stepText) || Number(stepText) === 0) throw new Error(`"/${stepText}" is not a step`);
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (range === '*') [lo, hi] = [f.min, f.max];
    else if (range.includes('-')) {
      const [a, b, more] = range.split('-');
      if (more !== undefined || a === undefined || b === undefined) throw new Error(`"${range}" is not a range`);
      [lo, hi] = [value(a, f), value(b, f)];
      if (lo > hi) throw new Error(`the range "${range}" runs backwards`);
    } else {
      lo = value(range, f);
      hi = stepText === undefined ? lo : f.max; // "5/15": from 5 on, every 15
    }
    for (let v = lo; v <= hi; v += step) values.add(v);
  }
  return values;
}

/** Parses a schedule; an `error` says what is wrong in one sentence. */
export function parseSchedule(expr: string): Schedule | { error: string } {
  const text = expr.trim();
  if (text.length > 200) return { error: 'the schedule is longer than 200 characters' };
  const expanded = MACROS[text.toLowerCase()] ?? text;
  if (expanded.startsWith('@')) return { error: `"${text}" is not a schedule (@hourly, @daily, @weekly, @monthly or @yearly)` };
  const parts = expanded.split(/\s+/);
  if (parts.length !== 5) return { error: `"${text}" has ${parts.length} fields; a schedule has 5 (minute hour day-of-month month day-of-week)` };
  try {
    const [minute, hour, dom, month, dow] = parts.map((p, i) => field(p, FIELDS[i]!));
    return {
      minute: minute!,
      hour: hour!,
      dom: dom!,
      month: month!,
      dow: new Set([...dow!].map((d) => (d === 7 ? 0 : d))),
      // As Vixie cron reads them: a field that starts with * (also */2) does not restrict the day.
      domRestricted: !parts[2]!.startsWith('*'),
      dowRestricted: !parts[4]!.startsWith('*'),
    };
  } catch (err) {
    return { error: `the schedule "${text}" is not valid: ${(err as Error).message}` };
  }
}

/** Whether the schedule runs in the UTC minute of `at`. */
export function runsAt(s: Schedule, at: Date): boolean {
  return s.minute.has(at.getUTCMinutes()) && s.hour.has(at.getUTCHours()) && s.month.has(at.getUTCMonth() + 1) && dayMatches(s, at);
}

const MINUTE = 60_000;

/** The start of the UTC minute of `t` (ms). */
export function minuteOf(t: number): number {
  return Math.floor(t / MINUTE) * MINUTE;
}

/** The first minute after `after` (ms) the schedule runs in, within `horizonDays` (default: 4 years, for Feb 29), or null. */
export function nextRun(s: Schedule, after: number, horizonDays = 1461): number | null {
  const end = after + horizonDays * 86_400_000;
  for (let t = minuteOf(after) + MINUTE; t <= end; ) {
    const d = new Date(t);
    // Skip whole days and hours that cannot match, so a yearly schedule is found in a few thousand steps.
    if (!s.month.has(d.getUTCMonth() + 1) || !dayMatches(s, d)) {
      t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
      continue;
    }
    if (!s.hour.has(d.getUTCHours())) {
      t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours() + 1);
      continue;
    }
    if (s.minute.has(d.getUTCMinutes())) return t;
    t += MINUTE;
  }
  return null;
}

function dayMatches(s: Schedule, d: Date): boolean {
  const dom = s.dom.has(d.getUTCDate());
  const dow = s.dow.has(d.getUTCDay());
  return s.domRestricted && s.dowRestricted ? dom || dow : dom && dow;
}

/** How many runs fall in the minutes after `from` up to and including `to` (ms), counting at most `limit`. */
export function runsBetween(s: Schedule, from: number, to: number, limit = 10_000): { count: number; last: number | null } {
  let count = 0;
  let last: number | null = null;
  for (let t = nextRun(s, from); t !== null && t <= to && count < limit; t = nextRun(s, t)) {
    count++;
    last = t;
  }
  return { count, last };
}
