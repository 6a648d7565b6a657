// Counts what a tar stream would unpack to — bytes of member data and number of entries — from its headers, as the
// stream passes, so an archive is refused before tar writes past the limit (decompression and inode bombs). Also
// refuses what would unpack to more than its archive shows (sparse members). Pure: no I/O.

export interface TarLimits {
  /** Largest total of member data, in bytes. */
  maxBytes: number;
  /** Most entries (files, directories, links). */
  maxEntries: number;
}

/** A chunk's verdict; `archive` is how many of its bytes belong to the archive (the rest follows its end). */
export type TarVerdict = { ok: true; archive: number } | { ok: false; reason: 'bytes' | 'entries' | 'sparse' | 'header' | 'trailing' };

const BLOCK = 512;
/** Extended (pax) and GNU long-name headers are read whole; theirs is a few names, never megabytes. */
const MAX_META = 1024 * 1024;
/** Zero padding after the end-of-archive marker (tar pads to 10 KiB records); more is refused, not decompressed. */
const MAX_TRAILING = 1024 * 1024;
type Verdict = { ok: true } | Extract<TarVerdict, { ok: false }>;
const META_TYPES = new Set(['x', 'g', 'L', 'K']);

function octalOrBinary(field: Buffer): number {
  // GNU base-256 for sizes of 8 GiB and more: the high bit of the first byte set.
  if (field[0]! & 0x80) {
    let n = field[0]! & 0x7f;
    for (const b of field.subarray(1)) n = n * 256 + b;
    return n;
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  if (!/^[0-7]*$/.test(text)) return NaN;
  return text ? parseInt(text, 8) : 0;
}

function checksumOk(h: Buffer): boolean {
  const stored = octalOrBinary(h.subarray(148, 156));
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : h[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

/** The records of a pax extended header ("LEN key=value\n" each). */
export function paxRecords(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    if (sp < 0) break;
    const len = Number(data.toString('latin1', i, sp));
    if (!Number.isInteger(len) || len <= 0 || i + len > data.length) break;
    const rec = data.toString('utf8', sp + 1, i + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0) out.set(rec.slice(0, eq), rec.slice(eq + 1));
    i += len;
  }
  return out;
}

/** Feeds a tar stream chunk by chunk; `feed` says whether the archive is still within its limits. */
export class TarBudget {
  bytes = 0;
  entries = 0;
  /** True once the end-of-archive marker (two zero blocks) passed: what follows is padding, not archive. */
  ended = false;
  private zeroBlock = false;
  private header = Buffer.alloc(0);
  private skip = 0; // bytes of the current member's data (with padding) still to pass
  private meta: { type: string; size: number; chunks: Buffer[]; got: number } | null = null;
  private nextSize: number | null = null; // a pax "size" for the next member
  private trailing = 0;

  constructor(private readonly limits: TarLimits) {}

  feed(chunk: Buffer): TarVerdict {
    let i = 0;
    while (i < chunk.length) {
      if (this.ended) {
        this.trailing += chunk.length - i;
        return this.trailing > MAX_TRAILING ? { ok: false, reason: 'trailing' } : { ok: true, archive: i };
      }
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        if (this.meta && this.meta.got < this.meta.size) {
          const take = Math.min(n, this.meta.size - this.meta.got);
          this.meta.chunks.push(chunk.subarray(i, i + take));
          this.meta.got += take;
        }
        this.skip -= n;
        i += n;
        if (this.skip === 0 && this.meta) {
          const v = this.metaDone();
          if (!v.ok) return v;
        }
        continue;
      }
      const need = BLOCK - this.header.length;
      const take = Math.min(need, chunk.length - i);
      this.header = Buffer.concat([this.header, chunk.subarray(i, i + take)]);
      i += take;
      if (this.header.length < BLOCK) continue;
      const v = this.onHeader(this.header);
      this.header = Buffer.alloc(0);
      if (!v.ok) return v;
    }
    return { ok: true, archive: chunk.length };
  }

  private onHeader(h: Buffer): Verdict {
    // GNU tar stops at a zero block and reads one more block (the second zero block, or a "lone zero block"
    // warning): either way nothing after that is read, and nothing after it is passed on.
    if (this.zeroBlock) {
      this.ended = true;
      return { ok: true };
    }
    if (h.every((b) => b === 0)) {
      this.zeroBlock = true;
      return { ok: true };
    }
    if (!checksumOk(h)) return { ok: false, reason: 'header' };
    const type = String.fromCharCode(h[156]!);
    let size = octalOrBinary(h.subarray(124, 136));
    if (!Number.isFinite(size) || size < 0) return { ok: false, reason: 'header' };
    if (type === 'S') return { ok: false, reason: 'sparse' };
    if (META_TYPES.has(type)) {
      if (size > MAX_META) return { ok: false, reason: 'header' };
      this.meta = { type, size, chunks: [], got: 0 };
    } else {
      if (this.nextSize !== null) size = this.nextSize;
      this.nextSize = null;
      this.entries++;
      if (this.entries > this.limits.maxEntries) return { ok: false, reason: 'entries' };
    }
    // Every member's data counts, whatever its type: what tar writes is never more than that.
    this.bytes += size;
    if (this.bytes > this.limits.maxBytes) return { ok: false, reason: 'bytes' };
    this.skip = Math.ceil(size / BLOCK) * BLOCK;
    if (this.skip === 0 && this.meta) return this.metaDone();
    return { ok: true };
  }

  private metaDone(): Verdict {
    const meta = this.meta!;
    this.meta = null;
    if (meta.type !== 'x' && meta.type !== 'g') return { ok: true };
    const recs = paxRecords(Buffer.concat(meta.chunks));
    for (const key of recs.keys()) if (key.startsWith('GNU.sparse.')) return { ok: false, reason: 'sparse' };
    const size = recs.get('size');
    if (size !== undefined) {
      // A global size would apply to every later member; no archiver writes one.
      if (meta.type === 'g' || !/^\d{1,18}$/.test(size)) return { ok: false, reason: 'header' };
      this.nextSize = Number(size);
    }
    return { ok: true };
  }
}
