// The data of a chunked body (RFC 9112 §7.1) without its framing, for clients that frame bodies themselves (HTTP/2
// DATA frames, h2-exchange.ts). Lenient on purpose: the bytes it reads were already checked, and their end found, by
// ChunkedScanner (h1-chunked.ts); chunk extensions and trailer fields are dropped.

// biome-ignore lint/suspicious/noConstEnum: tsc inlines the states into the per-byte loop; the enum never leaves this module
const enum State {
  Size,
  SizeLine,
  Data,
  DataEnd,
  Trailers,
}

export class ChunkedDecoder {
  private state = State.Size;
  private size = 0;
  private remaining = 0;

  /** The data bytes in `buf[start, end)`, as views of `buf`, in order (none once the last chunk was read). */
  decode(buf: Buffer, start: number, end: number): Buffer[] {
    const out: Buffer[] = [];
    let i = start;
    while (i < end) {
      switch (this.state) {
        case State.Size: {
          const c = buf[i++]!;
          const d = c >= 48 && c <= 57 ? c - 48 : (c | 0x20) >= 97 && (c | 0x20) <= 102 ? (c | 0x20) - 87 : -1;
          if (d !== -1) this.size = this.size * 16 + d;
          else if (c === 10) this.sizeRead();
          else this.state = State.SizeLine; // `;` extensions or the CR: skipped to the LF
          break;
        }
        case State.SizeLine:
          if (buf[i++] === 10) this.sizeRead();
          break;
        case State.Data: {
          const n = Math.min(this.remaining, end - i);
          out.push(buf.subarray(i, i + n));
          i += n;
          this.remaining -= n;
          if (this.remaining === 0) this.state = State.DataEnd;
          break;
        }
        case State.DataEnd:
          if (buf[i++] === 10) this.state = State.Size;
          break;
        case State.Trailers:
          return out;
      }
    }
    return out;
  }

  private sizeRead(): void {
    this.remaining = this.size;
    this.size = 0;
    this.state = this.remaining === 0 ? State.Trailers : State.Data;
  }
}
