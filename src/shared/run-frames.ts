// The framing of `yb run` sessions over an upgraded HTTP connection: [type:1][length:4 BE][payload]. Pure.
// server → client: STDOUT, STDERR, EXIT (payload: exit code as text). client → server: STDIN, STDIN_END, RESIZE ("cols,rows").

export const FRAME = { STDIN: 0, STDOUT: 1, STDERR: 2, EXIT: 3, RESIZE: 4, STDIN_END: 5 } as const;

export function frame(type: number, payload: Buffer | string = Buffer.alloc(0)): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const head = Buffer.alloc(5);
  head.writeUInt8(type, 0);
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

/** Incremental decoder: feed chunks, get whole frames. */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly maxFrame = 1024 * 1024) {}

  push(chunk: Buffer): Array<{ type: number; payload: Buffer }> {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Array<{ type: number; payload: Buffer }> = [];
    while (this.buf.length >= 5) {
      const len = this.buf.readUInt32BE(1);
      if (len > this.maxFrame) throw new Error(`frame of ${len} bytes exceeds the ${this.maxFrame} byte limit`);
      if (this.buf.length < 5 + len) break;
      out.push({ type: this.buf.readUInt8(0), payload: this.buf.subarray(5, 5 + len) });
      this.buf = this.buf.subarray(5 + len);
    }
    return out;
  }
}
