// The access log: one pino JSON line per (sampled) request, written asynchronously so it stays off the hot path.
import pino, { type Logger } from 'pino';
import type { AccessEntry } from './proxy.js';

/** The router's logger: JSON lines on stdout, buffered and written asynchronously. */
export function createRouterLogger(level: string, base: Record<string, unknown>): Logger {
  // maxWrite ≤ PIPE_BUF keeps each write atomic when several worker processes share one stdout pipe.
  const dest = pino.destination({ dest: 1, sync: false, minLength: 0, maxWrite: 4096 });
  return pino({ level, base, timestamp: pino.stdTimeFunctions.isoTime }, dest);
}

/** Access-log writer for `log`, keeping a `sample` fraction of successful requests (errors are always kept). */
export function accessLogger(log: Logger, sample: number): ((e: AccessEntry) => void) | undefined {
  if (sample <= 0) return undefined;
  const child = log.child({ kind: 'access' });
  return (e) => {
    if (sample < 1 && e.status < 500 && Math.random() >= sample) return;
    e.duration = Math.round(e.duration * 1000) / 1000;
    child.info(e, 'request');
  };
}
