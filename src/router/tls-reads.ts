// Decrypted reads of a TLS client socket on the fast path taken at its handle (the TLSWrap's `onread`, which net's
// onStreamRead would otherwise turn into a Readable push and a 'data' event per read): about 2 µs less per request on
// HTTPS keep-alive (bench/router/RESULTS.md). Node internals, as socket-writer.ts and shared-reads.ts use them
// (docs/architecture.md, "Node internals on the hot path"); without them the socket is read as a stream.
import type { Socket } from 'node:net';
import { internalBinding } from './node-bindings.js';

/** `process.binding('stream_wrap')`'s read state, as net's stream_base_commons.js reads it (Node 20 to 26). */
interface ReadState {
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
  kArrayBufferOffset: number;
}

interface ReadHandle {
  onread: (this: ReadHandle, arrayBuffer: ArrayBuffer) => unknown;
  readStart(): number;
  readStop(): number;
}

function loadReadState(): ReadState | undefined {
  const s = internalBinding('stream_wrap');
  const ok = s !== undefined && s.streamBaseState instanceof Int32Array && typeof s.kReadBytesOrError === 'number' && typeof s.kArrayBufferOffset === 'number';
  return ok ? (s as unknown as ReadState) : undefined;
}

const R = loadReadState();

/** Reads taken from a socket's handle; `pause`/`resume` stop and restart them, `release` gives them back to the stream. */
export interface HandleReads {
  pause(): void;
  resume(): void;
  release(): void;
}

/**
 * Calls `onRead` with each read of `socket` (a Buffer of its own, kept as long as the caller likes) instead of the
 * stream; the end of the stream and errors still take the stream's way ('end', 'error', 'close'). Undefined when the
 * bindings are missing or the stream holds bytes: the caller reads the stream.
 */
export function takeHandleReads(socket: Socket, onRead: (bytes: Buffer) => void): HandleReads | undefined {
  const handle = (socket as unknown as { _handle: ReadHandle | null })._handle;
  // Bytes the stream holds already would come after later reads: such a socket stays a stream. (node emits
  // 'secureConnection' inside the read that ends the handshake, before it decrypts what came behind it.)
  if (R === undefined || handle === null || typeof handle.onread !== 'function' || socket.readableLength > 0) return undefined;
  const streamRead = handle.onread;
  const { streamBaseState: state, kReadBytesOrError, kArrayBufferOffset } = R;
  handle.onread = function (this: ReadHandle, arrayBuffer: ArrayBuffer) {
    const n = state[kReadBytesOrError]!;
    if (n <= 0 || socket.destroyed) return streamRead.call(this, arrayBuffer); // end of stream, error
    onRead(Buffer.from(arrayBuffer, state[kArrayBufferOffset]!, n));
  };
  let paused = false;
  return {
    pause() {
      if (!paused) (paused = true), handle.readStop();
    },
    resume() {
      if (paused) (paused = false), handle.readStart();
    },
    release() {
      handle.onread = streamRead;
      this.resume();
    },
  };
}
