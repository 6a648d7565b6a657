// The last N log lines of every app, in memory and on disk (`<YB_LOG_DIR>/apps/<app>.jsonl`, default under `$YB_DATA_DIR/logs`, one JSON
// line each), so they survive platform restarts. Files are appended to and compacted to N lines now and then.
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RingBuffer } from './ring-buffer.js';
import type { LogLine } from './line.js';

interface AppLog {
  ring: RingBuffer<LogLine>;
  /** Lines in the file (compacted when it passes 1.5 × capacity). */
  fileLines: number;
}

const FILE_RE = /^([a-z0-9-]+)\.jsonl$/;

export class AppLogStore {
  private readonly apps = new Map<string, AppLog>();

  constructor(
    private readonly dir: string,
    readonly capacity: number,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  private file(app: string): string {
    return join(this.dir, `${app}.jsonl`);
  }

  /** Reads every app's file; calls `seen` with each kept line (to rebuild follow cursors). */
  load(seen: (app: string, l: LogLine) => void = () => undefined): void {
    for (const name of readdirSync(this.dir)) {
      const app = FILE_RE.exec(name)?.[1];
      if (!app) continue;
      const log = this.entry(app);
      let n = 0;
      for (const raw of readFileSync(join(this.dir, name), 'utf8').split('\n')) {
        if (!raw) continue;
        let l: LogLine;
        try {
          l = JSON.parse(raw) as LogLine;
        } catch {
          continue; // a line torn by a crash mid-write: skip it
        }
        n++;
        log.ring.push(l);
        seen(app, l);
      }
      log.fileLines = n;
    }
  }

  private entry(app: string): AppLog {
    let log = this.apps.get(app);
    if (!log) this.apps.set(app, (log = { ring: new RingBuffer<LogLine>(this.capacity), fileLines: 0 }));
    return log;
  }

  /** Appends lines of one app (memory and disk, in one write). */
  append(app: string, lines: LogLine[]): void {
    if (lines.length === 0 || !FILE_RE.test(`${app}.jsonl`)) return;
    const log = this.entry(app);
    for (const l of lines) log.ring.push(l);
    appendFileSync(this.file(app), lines.map((l) => JSON.stringify(l)).join('\n') + '\n', { mode: 0o600 });
    log.fileLines += lines.length;
    if (log.fileLines > this.capacity * 1.5 + 100) this.compact(app, log);
  }

  private compact(app: string, log: AppLog): void {
    const tmp = `${this.file(app)}.tmp`;
    const lines = log.ring.toArray();
    writeFileSync(tmp, lines.map((l) => JSON.stringify(l)).join('\n') + (lines.length ? '\n' : ''), { mode: 0o600 });
    renameSync(tmp, this.file(app));
    log.fileLines = lines.length;
  }

  /** The newest `n` lines of `app` that `pred` accepts, oldest first. */
  last(app: string, n: number, pred?: (l: LogLine) => boolean): LogLine[] {
    return this.apps.get(app)?.ring.last(n, pred) ?? [];
  }

  /**
   * The lines of `from` become those of `to` (apps:rename), in time order with any `to` already has (processes of
   * the old name may still write under it while they stop); kept on disk in one write.
   */
  rename(from: string, to: string): void {
    const old = this.apps.get(from);
    if (!old || from === to) return;
    const merged = [...old.ring.toArray(), ...(this.apps.get(to)?.ring.toArray() ?? [])].sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
    const log: AppLog = { ring: new RingBuffer<LogLine>(this.capacity), fileLines: 0 };
    for (const l of merged) log.ring.push(l);
    this.apps.set(to, log);
    this.compact(to, log);
    this.remove(from);
  }

  /** Forgets an app's lines (app destroyed). */
  remove(app: string): void {
    this.apps.delete(app);
    if (existsSync(this.file(app))) rmSync(this.file(app), { force: true });
  }
}
