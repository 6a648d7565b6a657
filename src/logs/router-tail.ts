// Tails the router's log file (<YB_LOG_DIR>/router.log, default $YB_DATA_DIR/logs; the router process's stdout) and turns its access
// entries into `router:` lines of each app. Resumes at the byte offset stored with the last router line (and in
// `router.offset`), so a platform restart neither repeats nor skips requests; a truncated file starts over.
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import type { Logger } from '../shared/logger.js';
import type { LogHub } from './log-hub.js';
import { parseRouterLine, type LogLine } from './line.js';

const CHUNK = 1024 * 1024;

export class RouterTail {
  private offset = 0;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(
    private readonly file: string,
    private readonly offsetFile: string,
    private readonly hub: LogHub,
    private readonly log: Logger,
    private readonly pollMs = 250,
  ) {
    if (existsSync(offsetFile)) this.offset = Number(readFileSync(offsetFile, 'utf8').trim()) || 0;
  }

  /** Remembers how far the file was read (from stored router lines). */
  seen(l: LogLine): void {
    if (l.s === 'router' && typeof l.o === 'number' && l.o > this.offset) this.offset = l.o;
  }

  start(): void {
    this.timer = setInterval(() => this.poll(), this.pollMs);
    this.timer.unref();
    this.poll();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.poll();
  }

  /** Reads what was appended since the last call (whole lines only). */
  poll(): void {
    if (this.busy || !existsSync(this.file)) return;
    this.busy = true;
    try {
      const size = statSync(this.file).size;
      if (size < this.offset) this.offset = 0; // the file was truncated or replaced
      while (size > this.offset) {
        const fd = openSync(this.file, 'r');
        const buf = Buffer.alloc(Math.min(CHUNK, size - this.offset));
        let n: number;
        try {
          n = readSync(fd, buf, 0, buf.length, this.offset);
        } finally {
          closeSync(fd);
        }
        const end = buf.subarray(0, n).lastIndexOf(0x0a);
        if (end < 0) {
          if (n === CHUNK) this.offset += n; // a single line longer than 1 MiB: skip it
          break;
        }
        this.consume(buf.subarray(0, end + 1), this.offset);
        this.offset += end + 1;
        writeFileSync(this.offsetFile, String(this.offset));
      }
    } catch (err) {
      this.log.warn({ err }, 'reading the router log failed');
    } finally {
      this.busy = false;
    }
  }

  private consume(buf: Buffer, base: number): void {
    const byApp = new Map<string, LogLine[]>();
    let start = 0;
    while (start < buf.length) {
      const nl = buf.indexOf(0x0a, start);
      const text = buf.subarray(start, nl).toString('utf8');
      start = nl + 1;
      const parsed = parseRouterLine(text, base + start);
      if (!parsed) continue;
      let list = byApp.get(parsed.app);
      if (!list) byApp.set(parsed.app, (list = []));
      list.push(parsed.line);
    }
    for (const [app, lines] of byApp) this.hub.append(app, lines);
  }
}
