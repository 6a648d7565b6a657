// Splits tenant output (container logs, build and one-off output, engine event streams) into lines with a
// bound: a line longer than the limit is cut there with a marker and the rest of it, up to its newline, is
// dropped, so a newline-free stream can never make the platform hold more than one limit's worth of bytes.
// Replaces node:readline, which keeps an unbounded partial line.
import type { Readable } from 'node:stream';

/** Longest line kept from tenant output, in bytes. */
export const MAX_LINE_BYTES = 64 * 1024;

/** What a cut line ends with. */
export const cutMarker = (max: number) => ` [line cut: longer than ${max >= 1024 ? `${Math.round(max / 1024)} KiB` : `${max} bytes`}]`;

const NL = 0x0a;

export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Inside a line already cut: its bytes are dropped until the next newline. */
  private skipping = false;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxBytes = MAX_LINE_BYTES,
  ) {}

  push(chunk: Buffer): void {
    let from = 0;
    while (from < chunk.length) {
      const nl = chunk.indexOf(NL, from);
      const end = nl < 0 ? chunk.length : nl;
      if (!this.skipping) this.take(chunk.subarray(from, end));
      if (nl < 0) return;
      if (this.skipping) this.skipping = false;
      else this.emit();
      from = nl + 1;
    }
  }

  /** Emits the last line when the stream ended without a newline. */
  end(): void {
    if (!this.skipping && this.pendingBytes > 0) this.emit();
    this.pending = [];
    this.pendingBytes = 0;
    this.skipping = false;
  }

  private take(part: Buffer): void {
    const room = this.maxBytes - this.pendingBytes;
    if (part.length <= room) {
      if (part.length) this.pending.push(part);
      this.pendingBytes += part.length;
      return;
    }
    // Copied, not a view: a view would keep the whole (possibly huge) chunk alive.
    this.pending.push(Buffer.from(part.subarray(0, room)));
    this.pendingBytes += room;
    this.emit(cutMarker(this.maxBytes));
    this.skipping = true;
  }

  private emit(suffix = ''): void {
    let line = Buffer.concat(this.pending, this.pendingBytes).toString('utf8');
    this.pending = [];
    this.pendingBytes = 0;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    this.onLine(line + suffix);
  }
}

/** Reads `input` to its end, calling `onLine` for each (bounded) line; resolves when it ends, closes or fails. */
export function splitLines(input: Readable, onLine: (line: string) => void, maxBytes = MAX_LINE_BYTES): Promise<void> {
  const splitter = new LineSplitter(onLine, maxBytes);
  return new Promise((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      splitter.end();
      resolve();
    };
    input.on('data', (chunk: Buffer | string) => splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
    input.once('end', finish);
    input.once('close', finish);
    input.once('error', finish);
  });
}
