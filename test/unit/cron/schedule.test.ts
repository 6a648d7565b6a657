// Cron schedules (src/cron/schedule.ts): what app.json `cron` entries may say, which minutes they run in (UTC, the
// Vixie day rule), the next run, missed runs counted, and hostile input refused in one sentence.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextRun, parseSchedule, runsAt, runsBetween, type Schedule } from '../../../src/cron/schedule.js';
import { cronJobId, parseCronJobs } from '../../../src/cron/jobs.js';

const ok = (expr: string): Schedule => {
  const s = parseSchedule(expr);
  if ('error' in s) throw new Error(s.error);
  return s;
};
const at = (iso: string) => Date.parse(iso);
const next = (expr: string, after: string) => {
  const t = nextRun(ok(expr), at(after));
  return t === null ? null : new Date(t).toISOString();
};

test('fields, lists, ranges, steps, names and macros', () => {
  assert.equal(next('*/15 * * * *', '2026-12-05T10:07:30Z'), '2026-12-05T10:15:00.000Z');
  assert.equal(next('0 3 * * *', '2026-12-05T03:00:00Z'), '2026-12-06T03:00:00.000Z', 'strictly after');
  assert.equal(next('30 9 * * mon-fri', '2026-12-05T12:00:00Z'), '2026-12-07T09:30:00.000Z', '5 Dec 2026 is a Saturday');
  assert.equal(next('0 0 1 jan *', '2026-12-05T00:00:00Z'), '2027-01-01T00:00:00.000Z');
  assert.equal(next('5/20 * * * *', '2026-12-05T10:06:00Z'), '2026-12-05T10:25:00.000Z');
  assert.equal(next('0 12 * * 7', '2026-12-05T13:00:00Z'), '2026-12-06T12:00:00.000Z', '7 is Sunday');
  assert.equal(next('@hourly', '2026-12-05T10:00:00Z'), '2026-12-05T11:00:00.000Z');
  assert.equal(next('@weekly', '2026-12-05T10:00:00Z'), '2026-12-06T00:00:00.000Z');
  assert.equal(next('0 0 29 2 *', '2026-12-05T00:00:00Z'), '2028-02-29T00:00:00.000Z', 'a leap day is within reach');
  assert.equal(next('0 0 31 2 *', '2026-12-05T00:00:00Z'), null, 'a day that never comes');
});

test('both day fields restricted: either matches (Vixie); a field starting with * restricts nothing', () => {
  const s = ok('0 0 13 * fri');
  assert.ok(runsAt(s, new Date('2026-12-13T00:00:00Z')), 'the 13th (a Sunday)');
  assert.ok(runsAt(s, new Date('2026-12-11T00:00:00Z')), 'a Friday');
  assert.ok(!runsAt(s, new Date('2026-12-12T00:00:00Z')));
  const every2 = ok('0 0 */2 * mon');
  assert.ok(!runsAt(every2, new Date('2026-12-09T00:00:00Z')), '9 Dec is odd and a Wednesday: */2 does not widen to "either"');
  assert.ok(runsAt(every2, new Date('2026-12-07T00:00:00Z')), 'a Monday on an odd day of month');
});

test('missed runs are counted between two times', () => {
  const r = runsBetween(ok('*/10 * * * *'), at('2026-12-05T10:00:00Z'), at('2026-12-05T11:00:00Z'));
  assert.equal(r.count, 6);
  assert.equal(new Date(r.last!).toISOString(), '2026-12-05T11:00:00.000Z');
  assert.equal(runsBetween(ok('* * * * *'), 0, 10 * 86_400_000, 50).count, 50, 'counting stops at the limit');
});

test('bad schedules are refused in one sentence', () => {
  const bad: Array<[string, RegExp]> = [
    ['* * * *', /has 4 fields/],
    ['60 * * * *', /minute 60 is outside 0-59/],
    ['* 24 * * *', /hour 24 is outside/],
    ['* * 0 * *', /day of month 0 is outside 1-31/],
    ['* * * 13 *', /month 13/],
    ['*/0 * * * *', /not a step/],
    ['5-1 * * * *', /runs backwards/],
    ['* * * foo *', /"foo" is not a month/],
    ['1,,2 * * * *', /is not a minute/],
    ['@every 5m', /not a schedule/],
    ['x'.repeat(300), /longer than 200/],
    ['$(reboot) * * * *', /not a minute/],
  ];
  for (const [expr, why] of bad) {
    const r = parseSchedule(expr);
    assert.ok('error' in r, expr);
    assert.match(r.error, why, expr);
  }
});

test('app.json cron entries: stable ids from schedule and command, every bad entry named', () => {
  const { jobs, errors } = parseCronJobs([
    { command: 'node jobs/clean.js', schedule: '0 3 * * *' },
    { command: 'echo hi', schedule: ' @hourly ' },
  ]);
  assert.deepEqual(errors, []);
  assert.equal(jobs[0]!.id, cronJobId('0 3 * * *', 'node jobs/clean.js'));
  assert.equal(jobs[1]!.schedule, '@hourly');
  assert.notEqual(jobs[0]!.id, jobs[1]!.id);
  const bad = parseCronJobs([
    'echo',
    { command: '', schedule: '* * * * *' },
    { command: 'x', schedule: 5 },
    { command: 'x', schedule: '* * *' },
    { command: 'y'.repeat(5000), schedule: '* * * * *' },
    { command: 'echo hi', schedule: '@hourly' },
  ]);
  assert.deepEqual(bad.errors, [
    'app.json "cron[0]" must be an object',
    'app.json "cron[1]".command must be a command',
    'app.json "cron[2]".schedule must be a string such as "0 3 * * *"',
    'app.json "cron[3]": "* * *" has 3 fields; a schedule has 5 (minute hour day-of-month month day-of-week)',
    'app.json "cron[4]".command is longer than 4096 characters',
  ]);
  assert.equal(bad.jobs.length, 1);
  assert.match(parseCronJobs({}).errors[0]!, /must be an array/);
  assert.match(parseCronJobs(Array.from({ length: 51 }, (_, i) => ({ command: `echo ${i}`, schedule: '@daily' }))).errors[0]!, /at most 50/);
  assert.match(
    parseCronJobs([
      { command: 'a', schedule: '@daily' },
      { command: 'a', schedule: '@daily' },
    ]).errors[0]!,
    /repeats an earlier job/,
  );
});
