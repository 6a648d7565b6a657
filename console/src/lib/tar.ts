// A tiny streaming tar reader for the create-app preview: picks a few small top-level files (Procfile, app.json,
// Dockerfile) out of a chosen tarball without keeping the rest. Hostile archives are bounded: entries, file sizes
// and long names have limits, a bad header stops it with one sentence. Pure: no DOM (unit-tested from the root).

export interface TarScan {
  /** Feeds the next bytes of the (already decompressed) archive. Throws on a damaged or oversized archive. */
  push: (chunk: Uint8Array) => void;
  /** The wanted files found so far (text, at most maxFileBytes each), by top-level name. */
  files: Map<string, string>;
  /** Wanted files found but over maxFileBytes (not read), by top-level name with their size. */
  tooBig: Map<string, number>;
  /** Entries seen so far and whether the end-of-archive blocks were reached. */
  state: () => { entries: number; ended: boolean };
}

export interface TarLimits {
  maxFileBytes: number;
  maxEntries: number;
}

const BLOCK = 512;
const text = new TextDecoder();

function field(h: Uint8Array, at: number, len: number): string {
  const b = h.subarray(at, at + len);
  const end = b.indexOf(0);
  return text.decode(end < 0 ? b : b.subarray(0, end));
}

/** The size field: octal digits, or GNU base-256 when the high bit is set. */
function size(h: Uint8Array): number {
  if ((h[124]! & 0x80) !== 0) {
    let n = 0;
    for (let i = 125; i < 136; i++) n = n * 256 + h[i]!;
    return n;
  }
  const s = field(h, 124, 12).trim();
  if (!/^[0-7]*$/.test(s)) throw new Error('this is not a tar archive (a header has a bad size field)');
  return s ? Number.parseInt(s, 8) : 0;
}

function checksumOk(h: Uint8Array): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
  const stored = field(h, 148, 8).trim();
  return /^[0-7]+$/.test(stored) && Number.parseInt(stored, 8) === sum;
}

/** Top-level name of an entry (`./Procfile` and `Procfile` alike), or null for anything deeper. */
export function topLevelName(path: string): string | null {
  const p = path.replace(/^(\.\/)+/, '');
  return p && !p.includes('/') ? p : null;
}

export function tarScanner(wanted: (name: string) => boolean, limits: TarLimits = { maxFileBytes: 64 * 1024, maxEntries: 20_000 }): TarScan {
  const files = new Map<string, string>();
  const tooBig = new Map<string, number>();
  let header = new Uint8Array(BLOCK);
  let headerFill = 0;
  let zeroBlocks = 0;
  let entries = 0;
  let ended = false;
  // The entry being read: bytes left (with padding), and where its wanted bytes go.
  let left = 0;
  let dataLeft = 0;
  let keep: { name: string; bytes: Uint8Array; fill: number; kind: 'file' | 'longname' | 'pax' } | null = null;
  let longName: string | null = null;

  const startEntry = (h: Uint8Array) => {
    if (h.every((b) => b === 0)) {
      zeroBlocks++;
      if (zeroBlocks >= 2) ended = true;
      return;
    }
    zeroBlocks = 0;
    if (!checksumOk(h)) throw new Error('this is not a tar archive (a header checksum does not match)');
    if (++entries > limits.maxEntries) throw new Error(`the archive has more than ${limits.maxEntries} entries; the preview stops there`);
    const type = String.fromCharCode(h[156] || 48);
    const n = size(h);
    dataLeft = n;
    left = Math.ceil(n / BLOCK) * BLOCK;
    const magic = field(h, 257, 6);
    const prefix = magic.startsWith('ustar') ? field(h, 345, 155) : '';
    const name = longName ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100));
    if (type !== 'L' && type !== 'x') longName = null;
    keep = null;
    if (type === 'L' || type === 'x') {
      if (n > 4096) throw new Error('the archive has a name record over 4 KiB; the preview refuses it');
      keep = { name: '', bytes: new Uint8Array(n), fill: 0, kind: type === 'L' ? 'longname' : 'pax' };
    } else if (type === '0' || type === '7') {
      const top = topLevelName(name);
      if (top && wanted(top)) {
        if (n <= limits.maxFileBytes) keep = { name: top, bytes: new Uint8Array(n), fill: 0, kind: 'file' };
        else tooBig.set(top, n);
      }
    }
    if (left === 0) finishEntry();
  };

  const finishEntry = () => {
    const k = keep;
    keep = null;
    if (!k) return;
    const s = text.decode(k.bytes);
    if (k.kind === 'file') files.set(k.name, s);
    else if (k.kind === 'longname') longName = s.replace(/\0+$/, '');
    else {
      const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(s);
      longName = m ? m[1]! : null;
    }
  };

  const push = (chunk: Uint8Array) => {
    let i = 0;
    while (i < chunk.length && !ended) {
      if (left > 0) {
        const take = Math.min(left, chunk.length - i);
        if (keep && dataLeft > 0) {
          const useful = Math.min(take, dataLeft);
          keep.bytes.set(chunk.subarray(i, i + useful), keep.fill);
          keep.fill += useful;
        }
        dataLeft = Math.max(0, dataLeft - take);
        left -= take;
        i += take;
        if (left === 0) finishEntry();
        continue;
      }
      const take = Math.min(BLOCK - headerFill, chunk.length - i);
      header.set(chunk.subarray(i, i + take), headerFill);
      headerFill += take;
      i += take;
      if (headerFill === BLOCK) {
        headerFill = 0;
        const h = header;
        header = new Uint8Array(BLOCK);
        startEntry(h);
      }
    }
  };

  return { push, files, tooBig, state: () => ({ entries, ended }) };
}

export interface ProcfileEntry {
  type: string;
  command: string;
}

/** The process types of a Procfile (`type: command` lines; comments and blank lines skipped). */
export function parseProcfile(s: string): ProcfileEntry[] {
  const out: ProcfileEntry[] = [];
  for (const line of s.split(/\r?\n/)) {
    const m = /^([A-Za-z0-9_-]+):\s*(.+)$/.exec(line.trim());
    if (m) out.push({ type: m[1]!, command: m[2]!.trim() });
  }
  return out;
}

/** Whether bytes start like gzip (1f 8b). */
export function isGzip(head: Uint8Array): boolean {
  return head[0] === 0x1f && head[1] === 0x8b;
}
