// Online password-guessing brake for POST /login: failed attempts counted in a sliding window per user name
// and client IP, and (with a larger cap) per client IP. In memory only (ybd is one process), with a bounded
// number of tracked keys. Pure apart from the injected clock: it never touches the store or the network.
import { SETTINGS } from '../config/schema.js';

export interface LoginThrottleOptions {
  /** Failed log-ins per user name and client IP within the window before further attempts are refused. */
  maxFailures: number;
  /** Failed log-ins per client IP (any user name) within the window before further attempts are refused. */
  maxFailuresPerIp: number;
  windowMs: number;
  /** Keys tracked per kind (name+IP, IP); beyond that the least recently failed key is forgotten. */
  maxKeys?: number;
  now?: () => number;
}

/** Admitted: go on and check the password, then report the outcome with `succeeded` or `failed`. */
export interface Admitted {
  ok: true;
  /** Identifies this attempt to `succeeded`/`failed`. */
  at: number;
}

/** Refused without looking at the password; `scope` says which limit was reached. */
export interface Refused {
  ok: false;
  retryAfterSeconds: number;
  scope: 'user' | 'ip';
}

interface Window {
  /** Attempt times (ms) in the window, oldest first; never more than the limit of this kind. */
  hits: number[];
  /** When the last failure of this key was audited (name+IP keys only). */
  auditedAt?: number;
}

/** A map of sliding windows with least-recently-failed eviction (a Map keeps insertion order). */
class Windows {
  private readonly map = new Map<string, Window>();
  constructor(
    readonly limit: number,
    private readonly windowMs: number,
    private readonly maxKeys: number,
  ) {}

  get size(): number {
    return this.map.size;
  }

  /** The key's window with expired hits dropped (the entry itself is kept: it may carry audit state). */
  current(key: string, now: number): Window | undefined {
    const w = this.map.get(key);
    if (!w) return undefined;
    while (w.hits.length && w.hits[0]! <= now - this.windowMs) w.hits.shift();
    if (!w.hits.length && (w.auditedAt === undefined || w.auditedAt <= now - this.windowMs)) {
      this.map.delete(key);
      return undefined;
    }
    return w;
  }

  /** Milliseconds until the key is below its limit again; 0 when it is below now. */
  blockedFor(key: string, now: number): number {
    const w = this.current(key, now);
    if (!w || w.hits.length < this.limit) return 0;
    return w.hits[w.hits.length - this.limit]! + this.windowMs - now;
  }

  add(key: string, at: number): Window {
    const w = this.current(key, at) ?? { hits: [] };
    w.hits.push(at);
    if (w.hits.length > this.limit) w.hits.splice(0, w.hits.length - this.limit);
    this.map.delete(key); // re-inserted last: the Map's first key is the least recently failed one
    this.map.set(key, w);
    while (this.map.size > this.maxKeys) this.map.delete(this.map.keys().next().value!);
    return w;
  }

  /** Takes back one attempt (a successful log-in is not a failure). */
  remove(key: string, at: number): void {
    const w = this.map.get(key);
    const i = w ? w.hits.lastIndexOf(at) : -1;
    if (w && i >= 0) w.hits.splice(i, 1);
  }

  delete(key: string): void {
    this.map.delete(key);
  }
}

/** The limits of the settings schema's defaults (YB_LOGIN_*). */
export const DEFAULT_LOGIN_LIMITS: LoginThrottleOptions = {
  maxFailures: Number(SETTINGS.loginMaxFailures.default),
  maxFailuresPerIp: Number(SETTINGS.loginMaxFailuresPerIp.default),
  windowMs: Number(SETTINGS.loginWindow.default) * 1000,
};

export class LoginThrottle {
  private readonly byUser: Windows;
  private readonly byIp: Windows;
  private readonly now: () => number;

  constructor(readonly opts: LoginThrottleOptions) {
    const maxKeys = opts.maxKeys ?? 10_000;
    this.byUser = new Windows(Math.max(1, opts.maxFailures), opts.windowMs, maxKeys);
    this.byIp = new Windows(Math.max(1, opts.maxFailuresPerIp), opts.windowMs, maxKeys);
    this.now = opts.now ?? Date.now;
  }

  /** Keys tracked now (name+IP, IP), for tests and metrics. */
  get tracked(): { user: number; ip: number } {
    return { user: this.byUser.size, ip: this.byIp.size };
  }

  /**
   * Admits or refuses an attempt. An admitted attempt counts as a failure at once, so that concurrent
   * guesses cannot all pass before the first one fails; `succeeded` takes it back.
   */
  attempt(name: string, ip: string): Admitted | Refused {
    const now = this.now();
    const user = this.byUser.blockedFor(userKey(name, ip), now);
    const byIp = this.byIp.blockedFor(ip, now);
    if (user > 0 || byIp > 0) {
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(Math.max(user, byIp) / 1000)), scope: user >= byIp ? 'user' : 'ip' };
    }
    this.byUser.add(userKey(name, ip), now);
    this.byIp.add(ip, now);
    return { ok: true, at: now };
  }

  /** The password was right: the name+IP counter starts over and the attempt is not held against the IP. */
  succeeded(name: string, ip: string, attempt: Admitted): void {
    this.byUser.delete(userKey(name, ip));
    this.byIp.remove(ip, attempt.at);
  }

  /**
   * The password was wrong (already counted by `attempt`). Returns whether to audit it: only the first
   * failure per window and name+IP is, so that guessing cannot flood the audit log.
   */
  failed(name: string, ip: string): boolean {
    const now = this.now();
    const w = this.byUser.current(userKey(name, ip), now);
    if (!w || (w.auditedAt !== undefined && w.auditedAt > now - this.opts.windowMs)) return false;
    w.auditedAt = now;
    return true;
  }
}

function userKey(name: string, ip: string): string {
  return `${ip}\n${name.slice(0, 64)}`;
}

/** "45 s", "15 min": a wait for people. */
export function formatWait(seconds: number): string {
  return seconds < 60 ? `${seconds} s` : `${Math.ceil(seconds / 60)} min`;
}
