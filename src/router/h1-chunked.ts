// Chunked transfer coding (RFC 9112 §7.1) as the router's fast path needs it: only where a chunked body ends, the
// bytes themselves being relayed unchanged. As strict as llhttp (node:http's parser, what most clients of the
// router's kind run): anything it refuses is refused here too, so the router never relays a body whose end a
// client could place elsewhere (test/unit/router/h1-request-differential.test.ts compares the two).
import { TCHAR, VALUE_CHAR } from './h1-parse.js';

// biome-ignore lint/suspicious/noConstEnum: tsc inlines the states into the per-byte loop on the router's hot path; the enum never leaves this module
const enum Chunk {
  Size,
  ExtStart,
  ExtName,
  ExtValueStart,
  ExtValue,
  Quoted,
  QuotedPair,
  QuotedEnd,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerStart,
  TrailerName,
  TrailerValue,
  TrailerLf,
  EndLf,
  Done,
}

/** Largest chunk size taken (2^48 - 1: 12 hex digits); larger ones are refused. */
const MAX_SIZE = 0xffffffffffff;
const CR = 13;
const LF = 10;
const SEMI = 59;

/** Trailer names that would frame a message (RFC 9110 §6.5.1 forbids them there; llhttp refuses them). */
const FRAMING = ['content-length', 'transfer-encoding'].map((name) => Buffer.from(name, 'latin1'));

/** Bytes of a quoted-string's text (qdtext: HTAB, SP, VCHAR but `"` and `\`, obs-text) and of a quoted-pair's second byte. */
const QDTEXT = new Uint8Array(256);
for (let c = 0; c < 256; c++) QDTEXT[c] = VALUE_CHAR[c]! === 1 && c !== 34 && c !== 92 ? 1 : 0;

/**
 * Finds where a chunked body ends, fed the bytes as they arrive; the bytes themselves are relayed unchanged.
 * `scan` returns the offset just past the body's end, -1 when more bytes are needed, -2 when the framing is broken:
 * a chunk size that is not hex digits (no whitespace) or beyond 2^48, a chunk extension that is not
 * `;name[=token|"quoted"]`, data not followed by CRLF, a trailer line that is not `name:value` or that names
 * Content-Length or Transfer-Encoding, a bare LF anywhere.
 */
export class ChunkedScanner {
  private state = Chunk.Size;
  private size = 0;
  private digits = 0;
  private remaining = 0;
  /** In a trailer field's name: bytes read, and which framing names (FRAMING bits) it may still be. */
  private nameAt = 0;
  private framingName = 0;

  scan(buf: Buffer, from = 0): number {
    let i = from;
    const n = buf.length;
    while (i < n) {
      const c = buf[i]!;
      switch (this.state) {
        case Chunk.Size: {
          const v = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
          if (v !== -1) {
            this.size = this.size * 16 + v;
            if (this.size > MAX_SIZE) return -2;
            this.digits++;
          } else if (this.digits === 0) return -2;
          else if (c === CR) this.state = Chunk.SizeLf;
          else if (c === SEMI) this.state = Chunk.ExtStart;
          else return -2;
          break;
        }
        case Chunk.ExtStart:
          if (TCHAR[c] === 1) this.state = Chunk.ExtName;
          else if (c !== SEMI) return -2;
          break;
        case Chunk.ExtName:
          if (TCHAR[c] === 1) break;
          if (c === 61 /* = */) this.state = Chunk.ExtValueStart;
          else if (!this.extEnd(c)) return -2;
          break;
        case Chunk.ExtValueStart:
          if (c === 34 /* " */) this.state = Chunk.Quoted;
          else if (TCHAR[c] === 1) this.state = Chunk.ExtValue;
          else if (c === CR) this.state = Chunk.SizeLf;
          else return -2;
          break;
        case Chunk.ExtValue:
          if (TCHAR[c] !== 1 && !this.extEnd(c)) return -2;
          break;
        case Chunk.Quoted:
          if (c === 34) this.state = Chunk.QuotedEnd;
          else if (c === 92 /* \ */) this.state = Chunk.QuotedPair;
          else if (QDTEXT[c] !== 1) return -2;
          break;
        case Chunk.QuotedPair:
          if (VALUE_CHAR[c] !== 1) return -2;
          this.state = Chunk.Quoted;
          break;
        case Chunk.QuotedEnd:
          if (!this.extEnd(c)) return -2;
          break;
        case Chunk.SizeLf:
          if (c !== LF) return -2;
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
          continue;
        }
        case Chunk.DataCr:
          if (c !== CR) return -2;
          this.state = Chunk.DataLf;
          break;
        case Chunk.DataLf:
          if (c !== LF) return -2;
          this.state = Chunk.Size;
          break;
        case Chunk.TrailerStart:
          // Either the blank line ending the body or the first byte of a trailer field's name.
          if (c === CR) this.state = Chunk.EndLf;
          else if (TCHAR[c] === 1) {
            this.state = Chunk.TrailerName;
            this.nameAt = 0;
            this.framingName = 3;
            this.trailerName(c);
          } else return -2;
          break;
        case Chunk.TrailerName:
          if (c === 58 /* : */) {
            if (this.framingName !== 0 && FRAMING.some((name, k) => (this.framingName & (1 << k)) !== 0 && name.length === this.nameAt)) return -2;
            this.state = Chunk.TrailerValue;
          } else if (TCHAR[c] === 1) this.trailerName(c);
          else return -2;
          break;
        case Chunk.TrailerValue:
          if (c === CR) this.state = Chunk.TrailerLf;
          else if (VALUE_CHAR[c] !== 1) return -2;
          break;
        case Chunk.TrailerLf:
          if (c !== LF) return -2;
          this.state = Chunk.TrailerStart;
          break;
        case Chunk.EndLf:
          if (c !== LF) return -2;
          this.state = Chunk.Done;
          return i + 1;
        case Chunk.Done:
          return i;
      }
      i++;
    }
    return this.state === Chunk.Done ? i : -1;
  }

  /** Follows a trailer name's byte `c` against the framing names (ASCII case ignored: tchars have no other). */
  private trailerName(c: number): void {
    if (this.framingName !== 0) {
      for (let k = 0; k < FRAMING.length; k++) if (FRAMING[k]![this.nameAt] !== (c | 0x20)) this.framingName &= ~(1 << k);
    }
    this.nameAt++;
  }

  /** After an extension's name or value: another extension or the end of the size line; false for anything else. */
  private extEnd(c: number): boolean {
    if (c === SEMI) this.state = Chunk.ExtStart;
    else if (c === CR) this.state = Chunk.SizeLf;
    else return false;
    return true;
  }
}
