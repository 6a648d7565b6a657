// A value read again only once it is older than a time to live: for readings that cost a round trip each and may be
// a little stale (the metrics sampler's per-process engine inspection, issue #21).

export class RecentReads<T> {
  private readonly kept = new Map<string, { value: T; at: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The value of `key` read within the time to live, else `read()`'s (kept when it is not null). */
  async get(key: string, read: () => Promise<T | null>): Promise<T | null> {
    const hit = this.kept.get(key);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.value;
    const value = await read();
    if (value === null) this.kept.delete(key);
    else this.kept.set(key, { value, at: this.now() });
    return value;
  }

  /** Forgets every key not in `live` (processes that are gone), so the map holds only what is listed now. */
  keepOnly(live: ReadonlySet<string>): void {
    for (const key of this.kept.keys()) if (!live.has(key)) this.kept.delete(key);
  }
}
