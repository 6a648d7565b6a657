// Chunked transfer coding (RFC 9112 §7.1) as the router's fast path needs it: only where a chunked body ends, the
// bytes themselves being relayed unchanged.

const enum Chunk {
  Size,
  Extension,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerStart,
  Trailer,
  TrailerLf,
  EndLf,
  Done,
}

/**
 * Finds where a chunked body ends, fed the bytes as they arrive; the bytes themselves are relayed unchanged.
 * `scan` returns the offset just past the body's end, -1 when more bytes are needed, -2 when the framing is broken.
 */
export class ChunkedScanner {
  private state = Chunk.Size;
  private size = 0;
  private digits = 0;
  private remaining = 0;

  scan(buf: Buffer, from = 0): number {
    let i = from;
    const n = buf.length;
    while (i < n) {
      const c = buf[i]!;
      switch (this.state) {
        case Chunk.Size: {
          const v = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
          if (v !== -1) {
            if (++this.digits > 12) return -2;
            this.size = this.size * 16 + v;
          } else if (this.digits === 0) return -2;
          else if (c === 13) this.state = Chunk.SizeLf;
          else if (c === 59 /* ; */ || c === 32 || c === 9) this.state = Chunk.Extension;
          else return -2;
          i++;
          break;
        }
        case Chunk.Extension:
          if (c === 13) this.state = Chunk.SizeLf;
          else if (c === 10 || c === 0) return -2;
          i++;
          break;
        case Chunk.SizeLf:
          if (c !== 10) return -2;
          i++;
          if (this.size === 0) this.state = Chunk.TrailerStart;
          else {
            this.remaining = this.size;
            this.state = Chunk.Data;
          }
          this.size = 0;
          this.digits = 0;
          break;
        case Chunk.Data: {
          const take = Math.min(this.remaining, n - i);
          i += take;
          this.remaining -= take;
          if (this.remaining === 0) this.state = Chunk.DataCr;
          break;
        }
        case Chunk.DataCr:
          if (c !== 13) return -2;
          this.state = Chunk.DataLf;
          i++;
          break;
        case Chunk.DataLf:
          if (c !== 10) return -2;
          this.state = Chunk.Size;
          i++;
          break;
        case Chunk.TrailerStart:
          // Either the blank line ending the body or the first trailer field.
          this.state = c === 13 ? Chunk.EndLf : Chunk.Trailer;
          i++;
          break;
        case Chunk.Trailer:
          if (c === 13) this.state = Chunk.TrailerLf;
          else if (c === 10) return -2;
          i++;
          break;
        case Chunk.TrailerLf:
          if (c !== 10) return -2;
          this.state = Chunk.TrailerStart;
          i++;
          break;
        case Chunk.EndLf:
          if (c !== 10) return -2;
          this.state = Chunk.Done;
          return i + 1;
        case Chunk.Done:
          return i;
      }
    }
    return this.state === Chunk.Done ? i : -1;
  }
}
