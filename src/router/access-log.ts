// The router's logger and its access log: one JSON line per (sampled) request in pino's line format, encoded by
// hand straight into one preallocated buffer of whole lines that is written out in batches of ~32 KiB
// (docs/architecture.md §2, "The router's access log"). pino's generic serialiser cost ~13 µs per request.
import { fstatSync, writeSync } from 'node:fs';
import pino, { type Logger } from 'pino';
import type { AccessEntry } from './proxy.js';

/** The batch buffer's size: the most memory the access log holds per process. */
const BUFFER_BYTES = 64 * 1024;
/** A batch this large is written to a log file at once (≈ 100 lines: one write(2) instead of 100). */
const FILE_BATCH_BYTES = 32 * 1024;
/**
 * To a pipe or terminal a batch is handed over at this size: with one line of up to 2 KiB more it stays ≤ PIPE_BUF
 * (4096), so such a write is never interleaved with another worker's.
 */
const PIPE_BATCH_BYTES = 2048;
/** Lines wait at most this long when traffic is low. */
const FLUSH_INTERVAL_MS = 100;

/**
 * Whole access-log lines waiting to be written, in one buffer reused for every batch. Lines are ASCII (the encoder
 * escapes anything else), so a batch is written as it lies, without encoding. Encoding byte by byte into it cost
 * less, measured, than a string per line (bench/router/access-log.ts).
 */
export class AccessLines {
  readonly buf = Buffer.allocUnsafe(BUFFER_BYTES);
  /** Bytes of finished lines in `buf`. */
  len = 0;

  constructor(
    /** Writes out `bytes` (whole lines); must not keep the buffer past the call. */
    private readonly out: (bytes: Buffer) => void,
    /** Bytes the buffer holds before it is written out. */
    readonly batchBytes: number,
  ) {}

  /** Makes room for a line of up to `need` bytes; false when it could never fit (the caller writes it alone). */
  room(need: number): boolean {
    if (this.len + need <= BUFFER_BYTES) return true;
    this.flush();
    return need <= BUFFER_BYTES;
  }

  /** Called after a line was added: writes the batch out once it is big enough. */
  added(): void {
    if (this.len >= this.batchBytes) this.flush();
  }

  /** Writes out a line too long for the buffer, after the lines before it. */
  alone(line: Buffer): void {
    this.flush();
    this.out(line);
  }

  flush(): void {
    if (this.len === 0) return;
    const n = this.len;
    this.len = 0;
    this.out(this.buf.subarray(0, n));
  }
}

export interface RouterLogger {
  log: Logger;
  /** The access log's lines, written to the same destination as `log`. */
  lines: AccessLines;
  /** Writes out everything buffered, before the process exits. */
  flushSync(): void;
}

/** The router's logger: JSON lines on stdout; the access lines batched in `lines`. */
export function createRouterLogger(level: string, base: Record<string, unknown>): RouterLogger {
  // When stdout is a file (ybd and the systemd unit give the router its log file) a batch is appended right away,
  // as nginx writes its access log: a write to the page cache costs less than handing it to the thread pool, and
  // one write(2) of whole lines to a file is never interleaved with another worker's. Should the disk be slow, the
  // write blocks this process (nginx's behaviour too) and memory stays at one buffer. pino's own lines (few: start,
  // stop, warnings) are appended the same way, one write each. Pipes and terminals keep the asynchronous writer.
  const toFile = fstatSync(1).isFile();
  let dropped = 0;
  const toStdout = (bytes: Buffer) => {
    if (!toFile) return void dest!.write(bytes.toString('latin1'));
    try {
      writeAll(1, bytes);
    } catch (err) {
      // A full disk must not stop the proxy: count what is lost and say so once.
      if (dropped++ === 0) log.warn({ err: (err as Error).message }, 'access log lines dropped: stdout is not writable');
    }
  };
  // To a pipe or terminal: maxWrite ≤ PIPE_BUF keeps each write atomic when several worker processes share one stdout
  // pipe; minLength batches pino's own lines; maxLength bounds what waits for a slow reader (more is dropped).
  const dest = toFile ? undefined : pino.destination({ dest: 1, sync: false, minLength: 3072, maxWrite: 4096, maxLength: 16 * 1024 * 1024 });
  const lines = new AccessLines(toStdout, toFile ? FILE_BATCH_BYTES : PIPE_BATCH_BYTES);
  // A stdout that fails (a reader gone) must not end the router: pino re-emits such errors, and an 'error' nobody
  // listens to is an uncaught exception. Its lines are then lost, as access lines are. sonic-boom's flushSync retries
  // a failing write every 100 ms for ever unless the error is EAGAIN or EBUSY (4.2), which hung a stopping router on a
  // full disk: it is not called for files at all, nor once a write to the pipe has failed.
  let broken = false;
  dest?.on('error', () => (broken = true));
  const log = pino({ level, base, timestamp: pino.stdTimeFunctions.isoTime }, dest ?? { write: (line: string) => toStdout(Buffer.from(line)) });
  setInterval(() => (lines.flush(), dest?.flush()), FLUSH_INTERVAL_MS).unref();
  const flushSync = () => {
    lines.flush();
    if (dest === undefined || broken) return;
    try {
      dest.flushSync();
    } catch (err) {
      // sonic-boom refuses while an asynchronous write is in flight; that write still completes
      if ((err as Error).message !== 'sonic boom is not ready yet') throw err;
    }
  };
  // Every way out that runs JavaScript (a stop, a worker whose primary went away, process.exit on a timeout, an
  // uncaught error) passes here: no finished line is left in the buffer.
  process.on('exit', () => lines.flush());
  return { log, lines, flushSync };
}

/** Each character's bytes in the worst case (`\u00e9`); constant text, numbers and the time come on top. */
const WORST_PER_CHAR = 6;
/** Bytes enough for any number or the ISO time, quotes included. */
const WORST_SCALAR = 32;

/**
 * Access-log writer keeping a `sample` fraction of requests (5xx are always kept); undefined when disabled.
 * `base` fields (router id, pid, …) are added to every line, as pino does for its own lines.
 */
export function accessLogger(
  log: Logger,
  lines: AccessLines | undefined,
  sample: number,
  base: Record<string, unknown>,
): ((e: AccessEntry) => void) | undefined {
  if (sample <= 0 || lines === undefined || !log.isLevelEnabled('info')) return undefined;
  // The constant text, as ASCII bytes: JSON.stringify's escapes, then anything above 0x7e as \uXXXX.
  const ascii = (s: string) =>
    Buffer.from(
      s.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
      'latin1',
    );
  const baseJson = Object.entries(base)
    .map(([k, v]) => `,${JSON.stringify(k)}:${JSON.stringify(v)}`)
    .join('');
  const K_TIME = ascii(`{"level":30,"time":"`);
  const K_APP = ascii(`Z"${baseJson},"kind":"access","app":`);
  const K_METHOD = ascii(`,"method":`);
  const K_HOST = ascii(`,"host":`);
  const K_PATH = ascii(`,"path":`);
  const K_STATUS = ascii(`,"status":`);
  const K_DURATION = ascii(`,"duration":`);
  const K_BYTES = ascii(`,"bytes":`);
  const K_UPSTREAM = ascii(`,"upstream":`);
  const K_REQUEST_ID = ascii(`,"requestId":`);
  const K_ERROR = ascii(`,"error":`);
  const K_END = Buffer.concat([ascii(`,"msg":"request"}`), Buffer.from('\n')]);
  const keys = [K_TIME, K_APP, K_METHOD, K_HOST, K_PATH, K_STATUS, K_DURATION, K_BYTES, K_UPSTREAM, K_REQUEST_ID, K_ERROR, K_END];
  const fixed = keys.reduce((n, k) => n + k.length, 0) + 4 * WORST_SCALAR + 7 * 2;
  // The ISO time up to the second ("2026-12-05T13:58:02.") is made once a second; the milliseconds are three
  // digits put after it (toISOString per request cost ~3,000 instructions when requests are a millisecond apart).
  let second = -1;
  let secondIso = K_TIME;
  const encode = (b: Buffer, o: number, e: AccessEntry, now: number): number => {
    const ms = now % 1000;
    if (now - ms !== second) {
      second = now - ms;
      secondIso = Buffer.concat([K_TIME, Buffer.from(new Date(second).toISOString().slice(0, -4), 'latin1')]);
    }
    b.set(secondIso, o);
    o += secondIso.length;
    b[o++] = 0x30 + ((ms / 100) | 0);
    b[o++] = 0x30 + (((ms / 10) | 0) % 10);
    b[o++] = 0x30 + (ms % 10);
    o = putBytes(b, o, K_APP);
    o = putString(b, o, e.app);
    o = putBytes(b, o, K_METHOD);
    o = putString(b, o, e.method);
    o = putBytes(b, o, K_HOST);
    o = putString(b, o, e.host);
    o = putBytes(b, o, K_PATH);
    o = putString(b, o, e.path);
    o = putBytes(b, o, K_STATUS);
    o = putNumber(b, o, e.status);
    o = putBytes(b, o, K_DURATION);
    o = putMillis(b, o, e.duration);
    o = putBytes(b, o, K_BYTES);
    o = putNumber(b, o, e.bytes);
    if (e.upstream !== undefined) {
      o = putBytes(b, o, K_UPSTREAM);
      o = putString(b, o, e.upstream);
    }
    o = putBytes(b, o, K_REQUEST_ID);
    o = putString(b, o, e.requestId);
    if (e.error !== undefined) {
      o = putBytes(b, o, K_ERROR);
      o = putString(b, o, e.error);
    }
    return putBytes(b, o, K_END);
  };
  return (e) => {
    if (sample < 1 && e.status < 500 && Math.random() >= sample) return;
    const chars = e.app.length + e.method.length + e.host.length + e.path.length + (e.upstream?.length ?? 0) + e.requestId.length + (e.error?.length ?? 0);
    const need = fixed + chars * WORST_PER_CHAR;
    if (lines.room(need)) {
      lines.len = encode(lines.buf, lines.len, e, Date.now());
      lines.added();
    } else {
      // A line longer than the whole buffer (a path near the header limit, mostly escapes): written by itself.
      const one = Buffer.allocUnsafe(need);
      lines.alone(one.subarray(0, encode(one, 0, e, Date.now())));
    }
  };
}

/** Writes all of `bytes`; a short write (a signal, a nearly full disk) goes on where it stopped. */
function writeAll(fd: number, bytes: Buffer): void {
  for (let done = writeSync(fd, bytes); done < bytes.length; ) done += writeSync(fd, bytes, done);
}

// The writers below put the variable parts by index (escaping as they go) and constant parts with one copy
// (measured: bench/router/access-log.ts and instruction counts under callgrind, docs/architecture.md §2).

/** Constant text: one native copy (a loop by index cost ~30 instructions a byte under callgrind). */
function putBytes(b: Buffer, o: number, k: Buffer): number {
  b.set(k, o);
  return o + k.length;
}

/** Text known to be printable ASCII without quotes or backslashes (the ISO time, a number's digits). */
function putAscii(b: Buffer, o: number, s: string): number {
  for (let i = 0; i < s.length; i++) b[o++] = s.charCodeAt(i);
  return o;
}

const HEX = Buffer.from('0123456789abcdef', 'latin1');

/**
 * A JSON string, escaped as JSON.stringify does, plus anything outside printable ASCII as `\uXXXX`: readers get
 * the same string, and the line stays ASCII. Tenant-controlled text (path, host) cannot end the string or the line.
 */
function putString(b: Buffer, o: number, s: string): number {
  b[o++] = 0x22;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c) b[o++] = c;
    else {
      b[o++] = 0x5c;
      if (c === 0x22 || c === 0x5c) b[o++] = c;
      else {
        b[o++] = 0x75;
        b[o++] = HEX[c >>> 12]!;
        b[o++] = HEX[(c >>> 8) & 15]!;
        b[o++] = HEX[(c >>> 4) & 15]!;
        b[o++] = HEX[c & 15]!;
      }
    }
  }
  b[o++] = 0x22;
  return o;
}

/** A number as JSON.stringify writes it (NaN and infinities as null); integers digit by digit, without a string. */
function putNumber(b: Buffer, o: number, n: number): number {
  if (!(n >= 0 && n <= Number.MAX_SAFE_INTEGER && Math.floor(n) === n)) return putAscii(b, o, JSON.stringify(n));
  let digits = 1;
  for (let t = n; t >= 10; t = (t - (t % 10)) / 10) digits++;
  let end = o + digits;
  for (let t = n; end > o; t = (t - (t % 10)) / 10) b[--end] = 0x30 + (t % 10);
  return o + digits;
}

/** Milliseconds rounded to the microsecond, written as `Math.round(ms * 1000) / 1000` prints. */
function putMillis(b: Buffer, o: number, ms: number): number {
  const us = Math.round(ms * 1000);
  if (!(us >= 0 && us <= Number.MAX_SAFE_INTEGER)) return putAscii(b, o, JSON.stringify(us / 1000));
  const frac = us % 1000;
  o = putNumber(b, o, (us - frac) / 1000);
  if (frac === 0) return o;
  b[o++] = 0x2e;
  b[o++] = 0x30 + ((frac / 100) | 0);
  if (frac % 100 === 0) return o;
  b[o++] = 0x30 + (((frac / 10) | 0) % 10);
  if (frac % 10 === 0) return o;
  b[o++] = 0x30 + (frac % 10);
  return o;
}
