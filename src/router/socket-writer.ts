// Writes of the fast paths (h1-proxy.ts, upstream-connection.ts) handed straight to a plain TCP socket's libuv handle while
// the socket's own Writable holds nothing, skipping its per-write work (state machine, a nextTick, callbacks).
// Mirrors net.Socket's write path; must not be used for TLS or other non-TCP handles (they take socket.write).
import type { Socket } from 'node:net';
import { getSystemErrorName } from 'node:util';
import { idleClock } from './idle-clock.js';
import { internalBinding } from './node-bindings.js';

/**
 * A write request: libuv keeps it (and, for a Buffer, the bytes) until an unfinished write completes.
 * `process.binding('stream_wrap').WriteWrap`, as net's stream_base_commons.js uses it.
 */
interface WriteReq {
  oncomplete?: (this: WriteReq, status: number) => void;
  writer?: SocketWriter;
  length?: number;
  buffer?: Buffer;
}

interface TcpHandle {
  writeLatin1String(req: WriteReq, data: string): number;
  writeBuffer(req: WriteReq, data: Buffer): number;
}

/** What a socket offers beyond its types: its libuv handle. */
interface SocketInternals {
  _handle: unknown;
}

interface Bindings {
  WriteWrap: new () => WriteReq;
  TCP: abstract new () => TcpHandle;
  /** `streamBaseState[kLastWriteWasAsync]` is 1 after a write left bytes in libuv's queue. */
  streamBaseState: Int32Array;
  kLastWriteWasAsync: number;
}

/**
 * The internal bindings net.Socket writes with (undocumented; used as Node's stream_base_commons.js uses them, 20 to
 * 26). Without them every write takes socket.write.
 */
function loadBindings(): Bindings | undefined {
  const streams = internalBinding('stream_wrap');
  const tcp = internalBinding('tcp_wrap');
  if (streams === undefined || tcp === undefined) return undefined;
  const ok =
    typeof streams.WriteWrap === 'function' &&
    streams.streamBaseState instanceof Int32Array &&
    typeof streams.kLastWriteWasAsync === 'number' &&
    typeof tcp.TCP === 'function' &&
    typeof (tcp.TCP as { prototype: Partial<TcpHandle> }).prototype.writeLatin1String === 'function';
  return ok ? ({ ...streams, TCP: tcp.TCP } as unknown as Bindings) : undefined;
}

const B = loadBindings();
/** Used for every write that completes at once (the request object is only kept by libuv when one does not). */
let sharedReq: WriteReq | undefined = B && new B.WriteWrap();

function onWriteComplete(this: WriteReq, status: number): void {
  const writer = this.writer!;
  const length = this.length!;
  this.writer = this.buffer = undefined;
  writer.completed(status, length);
}

function writeError(errno: number): NodeJS.ErrnoException {
  const code = getSystemErrorName(errno);
  return Object.assign(new Error(`write ${code}`), { errno, code, syscall: 'write' });
}

/**
 * Writes to one socket; `onDrain` is called when, after a write returned false, everything written has left.
 * Bytes keep their order whichever way they go: a direct write is only made while the stream holds nothing
 * (nothing buffered, corked, ending or connecting), and what libuv has not finished is written before anything
 * after it, direct or not. Backpressure is the stream's: false once a highWaterMark of bytes is waiting.
 */
export class SocketWriter {
  /** Bytes of direct writes libuv has not finished. */
  private queued = 0;
  private queueFull = false;
  private failed = false;
  private readonly onStreamDrain = () => {
    if (!this.queueFull) this.onDrain();
  };

  /**
   * `activity` gets `idleClock.now` on each write and each completion of a queued one (the fast path's sockets have
   * no Node timeout to refresh, see idle-clock.ts).
   */
  constructor(
    readonly socket: Socket,
    private onDrain: () => void,
    private readonly activity: { lastActive: number } = { lastActive: 0 },
  ) {
    socket.on('drain', this.onStreamDrain);
  }

  /** Whether bytes written wait beyond the highWaterMark (the caller waits for `onDrain`). */
  get needDrain(): boolean {
    return this.queueFull || this.socket.writableNeedDrain;
  }

  /** Writes `data` (a string as latin1: one byte per char); false when the caller should wait for `onDrain`. */
  write(data: string | Buffer): boolean {
    if (this.failed) return false; // as a stream that errored: nothing more is written, it is being destroyed
    this.activity.lastActive = idleClock.now;
    const s = this.socket;
    const handle = (s as unknown as SocketInternals)._handle;
    if (B === undefined || !(handle instanceof B.TCP) || s.connecting || s.writableLength !== 0 || s.writableCorked !== 0 || s.writableEnded || s.destroyed) {
      const ok = typeof data === 'string' ? s.write(data, 'latin1') : s.write(data);
      return ok && !this.queueFull;
    }
    const req = sharedReq!;
    const err = typeof data === 'string' ? handle.writeLatin1String(req, data) : handle.writeBuffer(req, data);
    if (err !== 0) {
      // As net does: the socket is destroyed with the error on the next tick.
      this.failed = true;
      process.nextTick(() => s.destroy(writeError(err)));
      return false;
    }
    if (B.streamBaseState[B.kLastWriteWasAsync] === 0) return true; // all taken (libuv's queue was empty)
    sharedReq = new B.WriteWrap(); // libuv holds this one until the rest is written
    req.oncomplete = onWriteComplete;
    req.writer = this;
    req.length = data.length;
    if (typeof data !== 'string') req.buffer = data; // strings were copied
    this.queued += data.length;
    if (this.queued >= s.writableHighWaterMark) this.queueFull = true;
    return !this.queueFull;
  }

  /** A direct write that went into libuv's queue finished (`status` < 0: failed). */
  completed(status: number, length: number): void {
    this.queued -= length;
    const s = this.socket;
    if (s.destroyed) return;
    if (status < 0) {
      s.destroy(writeError(status));
      return;
    }
    this.activity.lastActive = idleClock.now;
    if (this.queued === 0 && this.queueFull) {
      this.queueFull = false;
      if (!s.writableNeedDrain && !s.writableEnded) this.onDrain();
    }
  }

  /** Stops calling `onDrain` (the socket has a new owner); writes already made still complete. */
  detach(): void {
    this.socket.off('drain', this.onStreamDrain);
    this.onDrain = () => undefined;
  }
}

/** Whether writes can bypass the stream at all (the internal bindings were found). */
export const directWritesAvailable = B !== undefined;
