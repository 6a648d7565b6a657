// Plain-TCP client sockets of the fast path re-wrapped so their reads land in one shared buffer (node's `onread`)
// instead of a new 64 KiB allocation and a stream 'data' event per read. net.Server offers no `onread` for accepted
// sockets, so the listener pauses new connections (`pauseOnConnect`) and the accepted handle moves to a new Socket;
// that relies on net's `handle` option and `_handle`/`_server` fields, undocumented but unchanged since Node 0.x.
import { Socket, type Server, type SocketConstructorOpts } from 'node:net';

/** Client reads land here; what is read is used or copied before the callback returns. */
const CLIENT_READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

interface NetSocketInternals {
  _handle: unknown;
  _server: Server | null;
  server: Server | null;
}

/** Makes `server` hand out its new connections paused, as `rewrapWithSharedReads` needs them. */
export function pauseOnConnect(server: Server): void {
  (server as unknown as { pauseOnConnect: boolean }).pauseOnConnect = true;
}

/**
 * The connection of `raw` (accepted paused, see `pauseOnConnect`) on a new socket whose reads call `onRead` with
 * the bytes, valid only until it returns; returning false stops reading (as a full stream would) until `resume()`.
 * `raw` is left without its connection and must not be used. The server keeps counting the connection (its close()
 * waits for it) until the new socket closes.
 */
export function rewrapWithSharedReads(raw: Socket, onRead: (bytes: Buffer) => boolean): Socket {
  const from = raw as unknown as NetSocketInternals;
  const opts = {
    handle: from._handle,
    allowHalfOpen: raw.allowHalfOpen,
    noDelay: true, // bookkeeping only: the listener (noDelay: true) already set TCP_NODELAY on the handle
    onread: { buffer: CLIENT_READ_BUFFER, callback: (n: number, buf: Buffer) => onRead(buf.subarray(0, n)) },
  };
  const socket = new Socket(opts as SocketConstructorOpts);
  const to = socket as unknown as NetSocketInternals;
  to._server = to.server = from._server;
  from._server = from.server = null;
  from._handle = null;
  return socket;
}
