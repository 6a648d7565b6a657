// Joins lines into fewer, larger writes: the lines of one turn of the event loop (or up to `max` characters) go out
// as one string. A write per line queues an object per line in a stream, which for tenant output of millions of
// short lines grew ybd by hundreds of MiB before the other side caught up.

export interface LineBatch {
  /** Adds `text` (one or more whole lines, with their newlines). */
  add(text: string): void;
  /** Writes what is batched now. */
  flush(): void;
}

export function lineBatch(write: (text: string) => void, max = 16 * 1024): LineBatch {
  let batch = '';
  let pending: NodeJS.Immediate | undefined;
  const flush = () => {
    clearImmediate(pending);
    pending = undefined;
    if (batch) write(batch);
    batch = '';
  };
  return {
    add(text) {
      batch += text;
      if (batch.length >= max) flush();
      else pending ??= setImmediate(flush);
    },
    flush,
  };
}
