// The metrics sampler's hour of points on disk ($YB_DATA_DIR/metrics/series.jsonl), as a journal: each sample
// appends one line with that sample's new points, and once the journal holds `compactAfter` samples it is
// rewritten app by app in the background. Rewriting the whole hour of every app at each sample, as before, meant
// a synchronous JSON write that grew with apps × an hour of samples (tens of MB at 1,000 apps; issue #21).
import { appendFileSync, existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Point } from './series.js';

/** One journal line: a whole app (written by a compaction), one sample's points, or an app forgotten at `t`. */
type Line = { app: string; points: Point[] } | { t: number; points: Record<string, Point> } | { forget: string; t: number };

const encode = (value: unknown) => JSON.stringify(value, (_k, v: unknown) => (v === Infinity ? '+Inf' : v));

/**
 * Replays journal text into `into`. A point is kept only when it is newer than the app's last one (a compaction
 * may hold points that sample lines after it repeat), and a forget at `t` drops the app's points up to `t`
 * whatever the order of the lines (a destroyed app's readings must not come back to the next owner of its name).
 * Lines that do not parse (a write cut by a crash) are skipped.
 */
export function replay(text: string, into: Map<string, Point[]>, revive: (p: Point) => Point): void {
  const forgotten = new Map<string, number>();
  const add = (app: string, p: Point) => {
    const list = into.get(app) ?? [];
    if (list.length && (list.at(-1)?.t ?? 0) >= p.t) return;
    list.push(revive(p));
    into.set(app, list);
  };
  for (const raw of text.split('\n')) {
    if (!raw) continue;
    let line: Line;
    try {
      line = JSON.parse(raw) as Line;
    } catch {
      continue;
    }
    if ('forget' in line) forgotten.set(line.forget, Math.max(line.t, forgotten.get(line.forget) ?? 0));
    else if ('app' in line) for (const p of line.points) add(line.app, p);
    else for (const [app, p] of Object.entries(line.points)) add(app, p);
  }
  for (const [app, until] of forgotten) {
    const kept = (into.get(app) ?? []).filter((p) => p.t > until);
    if (kept.length) into.set(app, kept);
    else into.delete(app);
  }
}

export class SeriesJournal {
  private samples = 0;
  private compacting: Promise<void> | null = null;
  /** Lines that arrived while a compaction wrote the new file: appended to it before it replaces the old one. */
  private pending: string[] | null = null;

  constructor(
    private readonly file: string,
    private readonly compactAfter: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Reads what is on disk (and the whole-file format written before the journal, once). */
  load(into: Map<string, Point[]>, revive: (p: Point) => Point): void {
    const legacy = this.file.replace(/\.jsonl$/, '.json');
    if (existsSync(legacy)) {
      const data = JSON.parse(readFileSync(legacy, 'utf8')) as Record<string, Point[]>;
      for (const [app, points] of Object.entries(data)) replay(`${encode({ app, points })}\n`, into, revive);
    }
    if (!existsSync(this.file)) return;
    const text = readFileSync(this.file, 'utf8');
    replay(text, into, revive);
    // A last line cut by a crash is ended, so the next sample's line is not glued to it.
    if (text && !text.endsWith('\n')) appendFileSync(this.file, '\n');
  }

  /** Appends one sample's new points; starts a compaction of `all` when enough samples have piled up. */
  appendSample(t: number, points: Record<string, Point>, all: () => Map<string, Point[]>): void {
    this.write(`${encode({ t, points })}\n`);
    if (++this.samples >= this.compactAfter && !this.compacting) void this.compact(all()).catch(this.onError);
  }

  /** Records that `app`'s points up to `t` are gone, synchronously: a crash right after must not bring them back. */
  forget(app: string, t: number): void {
    this.write(`${encode({ forget: app, t })}\n`);
  }

  /** Rewrites the journal as one line per app of `points` (as they are now), then replaces the old file. */
  compact(points: Map<string, Point[]>): Promise<void> {
    if (this.compacting) return this.compacting;
    this.samples = 0;
    this.pending = [];
    const snapshot = [...points].map(([app, list]) => [app, [...list]] as const);
    const tmp = `${this.file}.tmp`;
    this.compacting = (async () => {
      const fh = await open(tmp, 'w', 0o600);
      try {
        // One app per write, awaited: the event loop is never held for the whole hour of every app.
        for (const [app, list] of snapshot) await fh.write(`${encode({ app, points: list })}\n`);
      } finally {
        await fh.close();
      }
      // From here on synchronous, so no line can slip in between the copy of the pending ones and the rename.
      appendFileSync(tmp, (this.pending ?? []).join(''));
      renameSync(tmp, this.file);
      rmSync(this.file.replace(/\.jsonl$/, '.json'), { force: true });
    })().finally(() => {
      // Lines written meanwhile went to the old file too (kept if the compaction failed) and into the new one.
      this.pending = null;
      this.compacting = null;
    });
    return this.compacting;
  }

  private write(line: string): void {
    appendFileSync(this.file, line, { mode: 0o600 });
    this.pending?.push(line);
  }
}
