// Build output of the Docker engine's BuildKit builder, as text lines. The engine streams BuildKit's progress as
// `moby.buildkit.trace` messages: base64 protobuf `StatusResponse`s (moby/buildkit control.proto) holding steps
// ("vertexes": digest, name, cached, started, completed, error) and their output ("logs"). This decodes the few
// fields we show and turns them into lines like `docker build --progress=plain`: "#3 [2/4] COPY . /app/",
// "#3 CACHED", "#4 <RUN output line>", "#4 DONE 0.2s", "#4 ERROR: …".
import { MAX_LINE_BYTES, cutMarker } from '../../shared/line-splitter.js';

interface Vertex {
  digest: string;
  name: string;
  cached: boolean;
  started?: number;
  completed?: number;
  error: string;
}

interface VertexLog {
  vertex: string;
  msg: Buffer;
}

/** The fields of one protobuf message: field number → raw values (varints as numbers, the rest as bytes). */
function fields(buf: Buffer): Map<number, Array<number | Buffer>> {
  const out = new Map<number, Array<number | Buffer>>();
  let i = 0;
  const varint = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (i >= buf.length) throw new Error('truncated varint');
      const b = buf[i++]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
  };
  while (i < buf.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    let value: number | Buffer;
    switch (key & 7) {
      case 0:
        value = varint();
        break;
      case 1:
        value = buf.subarray(i, (i += 8));
        break;
      case 2: {
        const len = varint();
        value = buf.subarray(i, (i += len));
        break;
      }
      case 5:
        value = buf.subarray(i, (i += 4));
        break;
      default:
        throw new Error(`unsupported wire type ${key & 7}`);
    }
    if (i > buf.length) throw new Error('truncated field');
    const list = out.get(field);
    if (list) list.push(value);
    else out.set(field, [value]);
  }
  return out;
}

const text = (v: number | Buffer | undefined): string => (Buffer.isBuffer(v) ? v.toString('utf8') : '');

/** A google.protobuf.Timestamp as milliseconds, or undefined when absent. */
function timestamp(v: number | Buffer | undefined): number | undefined {
  if (!Buffer.isBuffer(v)) return undefined;
  const f = fields(v);
  const seconds = f.get(1)?.[0];
  const nanos = f.get(2)?.[0];
  return (typeof seconds === 'number' ? seconds * 1000 : 0) + (typeof nanos === 'number' ? nanos / 1e6 : 0);
}

/** The steps and output lines in one base64 `StatusResponse`. Pure; throws on malformed input. */
export function decodeStatus(base64: string): { vertexes: Vertex[]; logs: VertexLog[] } {
  const top = fields(Buffer.from(base64, 'base64'));
  const vertexes = (top.get(1) ?? []).filter(Buffer.isBuffer).map((raw) => {
    const f = fields(raw);
    return {
      digest: text(f.get(1)?.[0]),
      name: text(f.get(3)?.[0]),
      cached: f.get(4)?.[0] === 1,
      started: timestamp(f.get(5)?.[0]),
      completed: timestamp(f.get(6)?.[0]),
      error: text(f.get(7)?.[0]),
    };
  });
  const logs = (top.get(3) ?? []).filter(Buffer.isBuffer).map((raw) => {
    const f = fields(raw);
    const msg = f.get(4)?.[0];
    return { vertex: text(f.get(1)?.[0]), msg: Buffer.isBuffer(msg) ? msg : Buffer.alloc(0) };
  });
  return { vertexes, logs };
}

/**
 * Turns successive BuildKit status messages into output lines. Steps are numbered in the order they first appear;
 * each step's name is shown once when it starts (or is found cached), then its output, then how it ended.
 */
export class BuildkitProgress {
  private readonly steps = new Map<string, { n: number; shown: boolean; ended: boolean; partial: string; cut: boolean }>();

  constructor(private readonly onLine: (line: string) => void) {}

  /** Handles one `moby.buildkit.trace` payload; one that cannot be decoded is skipped (output only). */
  trace(base64: string): void {
    let status: ReturnType<typeof decodeStatus>;
    try {
      status = decodeStatus(base64);
    } catch {
      return;
    }
    for (const v of status.vertexes) {
      const step = this.step(v.digest);
      if (!step.shown && (v.started !== undefined || v.cached || v.error)) {
        step.shown = true;
        this.onLine(`#${step.n} ${v.name}`);
      }
      if (step.ended) continue;
      if (v.error) {
        step.ended = true;
        this.flush(step);
        this.onLine(`#${step.n} ERROR: ${v.error}`);
      } else if (v.cached) {
        step.ended = true;
        this.onLine(`#${step.n} CACHED`);
      } else if (v.completed !== undefined) {
        step.ended = true;
        this.flush(step);
        const secs = v.started !== undefined ? ((v.completed - v.started) / 1000).toFixed(1) : '0.0';
        this.onLine(`#${step.n} DONE ${secs}s`);
      }
    }
    for (const log of status.logs) {
      const step = this.step(log.vertex);
      const lines = (step.partial + log.msg.toString('utf8')).replace(/\r\n?/g, '\n').split('\n');
      step.partial = lines.pop() ?? '';
      for (const line of lines) {
        if (step.cut)
          step.cut = false; // the end of a line already shown cut
        else this.onLine(`#${step.n} ${line.slice(0, MAX_LINE_BYTES)}${line.length > MAX_LINE_BYTES ? cutMarker(MAX_LINE_BYTES) : ''}`);
      }
      // A RUN step printing without newlines: show the line cut at the bound and drop the rest of it.
      if (step.partial.length > MAX_LINE_BYTES) {
        if (!step.cut) this.onLine(`#${step.n} ${step.partial.slice(0, MAX_LINE_BYTES)}${cutMarker(MAX_LINE_BYTES)}`);
        step.cut = true;
        step.partial = '';
      }
    }
  }

  private step(digest: string) {
    let step = this.steps.get(digest);
    if (!step) this.steps.set(digest, (step = { n: this.steps.size + 1, shown: false, ended: false, partial: '', cut: false }));
    return step;
  }

  private flush(step: { n: number; partial: string; cut: boolean }): void {
    if (step.partial && !step.cut) this.onLine(`#${step.n} ${step.partial}`);
    step.partial = '';
  }
}
