// The router's logger and its access log: one JSON line per (sampled) request, in pino's line format but
// written by hand to pino's asynchronous destination — pino's generic serialiser cost ~13 µs per request.
import { fstatSync, writeSync } from 'node:fs';
import pino, { type Logger } from 'pino';
import type { AccessEntry } from './proxy.js';

export interface RouterLogger {
  log: Logger;
  /** Writes one finished line (ending in "\n") to the same destination as `log`. */
  writeLine(line: string): void;
  /** Writes out everything buffered, before the process exits. */
  flushSync(): void;
}

/** Access lines are joined into batches of about this many characters (at most 4 KiB once UTF-8 encoded). */
const BATCH_CHARS = 2000;

/** The router's logger: JSON lines on stdout, buffered and written asynchronously. */
export function createRouterLogger(level: string, base: Record<string, unknown>): RouterLogger {
  // maxWrite ≤ PIPE_BUF keeps each write atomic when several worker processes share one stdout pipe;
  // minLength batches writes (one write per line cost ~15 µs per request), and the timer bounds how long a
  // line waits when traffic is low.
  const dest = pino.destination({ dest: 1, sync: false, minLength: 3072, maxWrite: 4096 });
  // Access lines are joined here first: one write per batch instead of per request. When stdout is a file (ybd
  // gives the router its log file) a batch is appended right away, as nginx writes its access log: a write to the
  // page cache costs less than handing it to the thread pool. Pipes and terminals keep the asynchronous writer.
  const toFile = fstatSync(1).isFile();
  let batch = '';
  let dropped = 0;
  const flushBatch = () => {
    if (batch === '') return;
    const lines = batch;
    batch = '';
    if (!toFile) return void dest.write(lines);
    try {
      writeSync(1, lines);
    } catch (err) {
      // A full disk must not stop the proxy: count what is lost and say so once.
      if (dropped++ === 0) log.warn({ err: (err as Error).message }, 'access log lines dropped: stdout is not writable');
    }
  };
  const log = pino({ level, base, timestamp: pino.stdTimeFunctions.isoTime }, dest);
  setInterval(() => (flushBatch(), dest.flush()), 500).unref();
  return {
    log,
    writeLine: (line) => {
      batch += line;
      if (batch.length >= BATCH_CHARS) flushBatch();
    },
    flushSync: () => {
      flushBatch();
      try {
        dest.flushSync();
      } catch (err) {
        // sonic-boom refuses while an asynchronous write is in flight; that write still completes
        if ((err as Error).message !== 'sonic boom is not ready yet') throw err;
      }
    },
  };
}

const str = JSON.stringify;

/**
 * Access-log writer keeping a `sample` fraction of requests (5xx are always kept); undefined when disabled.
 * `base` fields (router id, pid, …) are added to every line, as pino does for its own lines.
 */
export function accessLogger(
  log: Logger,
  writeLine: ((line: string) => void) | undefined,
  sample: number,
  base: Record<string, unknown>,
): ((e: AccessEntry) => void) | undefined {
  if (sample <= 0 || writeLine === undefined || !log.isLevelEnabled('info')) return undefined;
  const prefix = `{"level":30,"time":"`;
  const baseJson = Object.entries(base)
    .map(([k, v]) => `,${str(k)}:${str(v)}`)
    .join('');
  // The ISO time changes once per millisecond; requests in the same millisecond share the string.
  let lastMs = 0;
  let lastIso = '';
  const iso = () => {
    const now = Date.now();
    if (now !== lastMs) {
      lastMs = now;
      lastIso = new Date(now).toISOString();
    }
    return lastIso;
  };
  return (e) => {
    if (sample < 1 && e.status < 500 && Math.random() >= sample) return;
    writeLine(
      `${prefix}${iso()}"${baseJson},"kind":"access","app":${quote(e.app)},"method":${quote(e.method)},"host":${quote(e.host)},` +
        `"path":${quote(e.path)},"status":${e.status},"duration":${Math.round(e.duration * 1000) / 1000},"bytes":${e.bytes}` +
        `${e.upstream === undefined ? '' : `,"upstream":${quote(e.upstream)}`},"requestId":${quote(e.requestId)}` +
        `${e.error === undefined ? '' : `,"error":${quote(e.error)}`},"msg":"request"}\n`,
    );
  };
}

// Printable ASCII without quote or backslash needs no escaping: most values, quoted without JSON.stringify.
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const quote = (v: string) => (PLAIN.test(v) ? `"${v}"` : str(v));
