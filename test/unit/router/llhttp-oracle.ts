// The oracles of the router's differential tests, llhttp as node:http runs it on loopback, one connection per
// case: a real server (strict, as the router's own fallback is configured) fed raw request bytes, reporting each
// request's method, target, version, raw headers and body bytes, then its error if it refused the rest; and a real
// client reading raw response bytes, reporting the status, the body bytes and where it ended.
import { createServer, request, type Server } from 'node:http';
import { connect, createServer as createTcpServer, type Socket } from 'node:net';

/** One request as llhttp parsed it. */
export interface OracleRequest {
  method: string;
  url: string;
  version: string;
  /** Header names and values as node:http gives them (values with their optional whitespace trimmed). */
  rawHeaders: string[];
  /** Body bytes llhttp delivered (decoded for chunked bodies). */
  bodyBytes: number;
  /** The body ended where llhttp's framing says, rather than with the connection. */
  complete: boolean;
}

/** What llhttp made of one connection's bytes: the requests it parsed, then its error code if it refused the rest. */
export interface OracleVerdict {
  requests: OracleRequest[];
  error: string | undefined;
}

interface Pending {
  requests: OracleRequest[];
  error: string | undefined;
  done?: (v: OracleVerdict) => void;
  closed: boolean;
}

export interface Oracle {
  /** Sends `bytes` on a new connection, half-closes it, and reports what llhttp parsed once the server closed it. */
  parse(bytes: Buffer): Promise<OracleVerdict>;
  close(): Promise<void>;
}

/** Starts the oracle server with the router's head limit (`maxHeaderSize`, as server.ts sets it). */
export async function startOracle(maxHeaderBytes: number): Promise<Oracle> {
  // Keyed by the client's port, which is the server side's remote port.
  const pending = new Map<number, Pending>();
  const entry = (port: number) => {
    let p = pending.get(port);
    if (p === undefined) pending.set(port, (p = { requests: [], error: undefined, closed: false }));
    return p;
  };
  const settle = (port: number) => {
    const p = pending.get(port);
    if (p === undefined || !p.closed || p.done === undefined) return;
    pending.delete(port);
    p.done({ requests: p.requests, error: p.error });
  };
  const server: Server = createServer({ maxHeaderSize: maxHeaderBytes, requestTimeout: 0, keepAliveTimeout: 5000 }, (req, res) => {
    const r: OracleRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      version: req.httpVersion,
      rawHeaders: req.rawHeaders,
      bodyBytes: 0,
      complete: false,
    };
    entry(req.socket.remotePort!).requests.push(r);
    req.on('data', (d: Buffer) => (r.bodyBytes += d.length));
    req.on('end', () => {
      r.complete = !req.readableAborted;
      res.end();
    });
    req.on('error', () => undefined); // a body cut by the client's FIN: `complete` stays false
  });
  server.on('connection', (s: Socket) => {
    const port = s.remotePort!;
    entry(port);
    // Body events may still be queued for the next tick when the socket closes.
    s.once('close', () => setImmediate(() => ((entry(port).closed = true), settle(port))));
  });
  server.on('clientError', (err: NodeJS.ErrnoException, s: Socket) => {
    const p = entry(s.remotePort!);
    p.error ??= err.code ?? 'ERROR';
    s.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    parse(bytes) {
      return new Promise((resolve, reject) => {
        const s = connect(port, '127.0.0.1');
        let connected = false;
        // After connecting, errors are the server resetting connections it refused: its verdict says why.
        s.on('error', (err) => connected || reject(err));
        s.on('data', () => undefined);
        s.once('connect', () => {
          connected = true;
          const local = s.localPort!;
          entry(local).done = resolve;
          settle(local);
          s.end(bytes);
        });
      });
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** One response as llhttp (node:http's client) read it, or its error. */
export interface OracleResponse {
  status: number | undefined;
  /** Body bytes delivered (decoded for chunked bodies). */
  bodyBytes: number;
  /** The body ended where llhttp's framing says (or with the connection, when that is its framing). */
  complete: boolean;
  error: string | undefined;
}

export interface ResponseOracle {
  /** Answers a GET with `bytes` on a new connection, closing it after them, and reports what the client read. */
  read(bytes: Buffer): Promise<OracleResponse>;
  close(): Promise<void>;
}

/** A raw TCP server that answers each connection with the next bytes given, read by node:http's client. */
export async function startResponseOracle(maxHeaderBytes: number): Promise<ResponseOracle> {
  const answers = new Map<number, Buffer>();
  const server = createTcpServer((s) => {
    s.on('error', () => undefined);
    s.once('data', () => s.end(answers.get(s.remotePort!) ?? Buffer.alloc(0)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    read(bytes) {
      return new Promise((resolve) => {
        const out: OracleResponse = { status: undefined, bodyBytes: 0, complete: false, error: undefined };
        let settled = false;
        const settle = () => settled || ((settled = true), resolve(out));
        const req = request({ host: '127.0.0.1', port, path: '/', agent: false, maxHeaderSize: maxHeaderBytes });
        req.on('socket', (s) => s.once('connect', () => answers.set(s.localPort!, bytes)));
        req.on('response', (res) => {
          out.status = res.statusCode;
          res.on('data', (d: Buffer) => (out.bodyBytes += d.length));
          res.on('end', () => ((out.complete = !res.readableAborted), settle()));
          res.on('error', () => undefined);
          res.on('close', () => setImmediate(settle));
        });
        req.on('error', (err: NodeJS.ErrnoException) => {
          out.error ??= err.code ?? err.message;
          setImmediate(settle);
        });
        req.on('close', () => setImmediate(settle));
        req.end();
      });
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
