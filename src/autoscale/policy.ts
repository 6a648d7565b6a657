// An autoscaling policy of one process type (`yb autoscale web --min 1 --max 6 --p95-ms 300`), kept in
// `apps/<app>/autoscale/<type>`, and what the autoscaler keeps beside it in `apps/<app>/autoscale-state/<type>`
// (docs/architecture.md §5.5). Pure: checks a requested policy and says what is wrong in one sentence.
import { YbError } from '../shared/errors.js';
import { checkProcessType } from '../release/names.js';
import type { Decision } from './decide.js';

/** The most processes autoscaling may run of one type (ps:scale allows 100; autoscaling stays below it). */
export const MAX_AUTOSCALE = 50;

export interface AutoscalePolicy {
  type: string;
  min: number;
  max: number;
  /** The p95 latency through the router to keep below, in milliseconds… */
  p95Ms?: number;
  /** …or the requests per second one process should serve. Exactly one of the two. */
  rps?: number;
  setAt: string;
  setBy: string;
}

export interface AutoscaleState {
  /** When the autoscaler last changed the quantity (ISO time): the window starts there, cooldowns count from it. */
  lastScaledAt?: string;
  /** Since when every evaluation found the type idle enough to lose a process (ISO time). */
  calmSince?: string;
  /** The last decision recorded in the events, and the last made. */
  lastRecorded?: Decision;
  last?: Decision;
}

export interface PolicyRequest {
  min: number;
  max: number;
  p95Ms?: number;
  rps?: number;
}

const whole = (v: unknown, lo: number, hi: number) => typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;

/** Checks a requested policy of `type`; throws YB_ERR_BAD_REQUEST naming the first problem. */
export function checkPolicy(type: string, req: PolicyRequest): void {
  checkProcessType(type);
  if (!whole(req.min, 1, MAX_AUTOSCALE)) throw new YbError('YB_ERR_BAD_REQUEST', `--min must be a whole number from 1 to ${MAX_AUTOSCALE}`);
  if (!whole(req.max, 1, MAX_AUTOSCALE)) throw new YbError('YB_ERR_BAD_REQUEST', `--max must be a whole number from 1 to ${MAX_AUTOSCALE}`);
  if (req.min > req.max) throw new YbError('YB_ERR_BAD_REQUEST', `--min (${req.min}) must not be above --max (${req.max})`);
  if ((req.p95Ms === undefined) === (req.rps === undefined))
    throw new YbError('YB_ERR_BAD_REQUEST', 'give exactly one target: --p95-ms (latency) or --rps (requests per second per process)');
  if (req.p95Ms !== undefined && !whole(req.p95Ms, 10, 60_000))
    throw new YbError('YB_ERR_BAD_REQUEST', '--p95-ms must be a whole number of milliseconds from 10 to 60000');
  if (req.rps !== undefined && !(typeof req.rps === 'number' && Number.isFinite(req.rps) && req.rps >= 0.1 && req.rps <= 100_000))
    throw new YbError('YB_ERR_BAD_REQUEST', '--rps must be a number of requests per second from 0.1 to 100000');
}

/** The target in words: "p95 300 ms" or "5 requests/s per process". */
export function describeTarget(p: Pick<AutoscalePolicy, 'p95Ms' | 'rps'>): string {
  return p.p95Ms !== undefined ? `p95 ${p.p95Ms} ms` : `${p.rps} requests/s per process`;
}
