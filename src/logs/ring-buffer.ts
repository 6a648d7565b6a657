// A fixed-capacity ring buffer: pushing onto a full buffer drops the oldest item. Pure.

export class RingBuffer<T> {
  private readonly items: (T | undefined)[];
  private start = 0;
  private count = 0;
  /** Items dropped because the buffer was full, since it was made. */
  dropped = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive whole number');
    this.items = new Array<T | undefined>(capacity);
  }

  get length(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.count < this.capacity) {
      this.items[(this.start + this.count) % this.capacity] = item;
      this.count++;
    } else {
      this.items[this.start] = item;
      this.start = (this.start + 1) % this.capacity;
      this.dropped++;
    }
  }

  /** Removes and returns the oldest item. */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.start];
    this.items[this.start] = undefined;
    this.start = (this.start + 1) % this.capacity;
    this.count--;
    return item;
  }

  /** Puts items back at the front (oldest first), e.g. a batch whose delivery failed; drops what no longer fits. */
  unshiftAll(batch: T[]): void {
    const keep = this.toArray();
    this.clear();
    const all = [...batch, ...keep];
    const from = Math.max(0, all.length - this.capacity);
    this.dropped += from;
    for (const x of all.slice(from)) this.push(x);
  }

  /** Oldest first. */
  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.items[(this.start + i) % this.capacity] as T);
    return out;
  }

  /** The newest `n` items matching `pred`, oldest first. */
  last(n: number, pred: (x: T) => boolean = () => true): T[] {
    const out: T[] = [];
    for (let i = this.count - 1; i >= 0 && out.length < n; i--) {
      const x = this.items[(this.start + i) % this.capacity] as T;
      if (pred(x)) out.push(x);
    }
    return out.reverse();
  }

  clear(): void {
    this.items.fill(undefined);
    this.start = 0;
    this.count = 0;
  }
}
