// Byte-level HTTP/1.1 message heads for the router's fast path: request heads it may forward as they are and
// upstream response heads (chunked bodies: h1-chunked.ts). Pure and strict: anything unusual in a request is "not
// for the fast path" (undefined) and goes to node:http's parser instead; an unusual response is an upstream error.
import { validHost } from './request-target.js';

/** The blank line that ends a message head. */
export const HEAD_END = Buffer.from('\r\n\r\n');

/** A request head the fast path forwards (rewritten) without node:http. */
export interface RequestHead {
  method: string;
  /** Request target in origin form (`/path?query`). */
  target: string;
  /** The Host header as sent. */
  host: string;
  /** Body length in bytes (0 without Content-Length). */
  contentLength: number;
  /** The client asked to close the connection after this response. */
  close: boolean;
  /** The client's X-Request-Id when plausible (1–200 characters). */
  requestId: string | undefined;
  /** The client's X-Forwarded-For values, joined. */
  forwardedFor: string | undefined;
  /** End-to-end header lines to forward, each ending in CRLF. */
  headers: string;
}

/** Methods the fast path takes; others (CONNECT, TRACE, extension methods) go to node:http. A switch compares the new string with each constant; a Set would hash it first. */
function fastPathMethod(method: string): boolean {
  switch (method) {
    case 'GET':
    case 'POST':
    case 'HEAD':
    case 'PUT':
    case 'DELETE':
    case 'PATCH':
    case 'OPTIONS':
      return true;
    default:
      return false;
  }
}
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const ORIGIN_FORM = /^\/[\x21-\x7e]*$/;
const DIGITS = /^\d{1,15}$/;
/**
 * Header lines after a first line, each `TOKEN:FIELD_VALUE`, checked in one pass: when a whole head passes, its lines
 * need no check of their own (a regular expression per line and field cost most of the parsing time).
 */
const FIELD_LINES = String.raw`(?:\r\n[!#$%&'*+\-.^_\`|~0-9A-Za-z]+:[\t\x20-\x7e\x80-\xff]*)*$`;
const WELL_FORMED_REQUEST = new RegExp(String.raw`^[A-Z]+ \/[\x21-\x7e]* HTTP\/1\.1` + FIELD_LINES);
const WELL_FORMED_RESPONSE = new RegExp(String.raw`^HTTP\/1\.[01] \d{3}(?: [\t\x20-\x7e\x80-\xff]*)?` + FIELD_LINES);
/** Lengths of the header names the parsers look at; other names are kept without being lower-cased. */
const NAME_LENGTHS = new Uint8Array(32);
for (const name of [
  'host',
  'content-length',
  'connection',
  'transfer-encoding',
  'upgrade',
  'expect',
  'x-request-id',
  'x-forwarded-for',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-forwarded-host',
])
  NAME_LENGTHS[name.length] = 1;
/** The header name `text[start, colon)` lower-cased when it may be one the parsers look at, else ''. */
const knownName = (text: string, start: number, colon: number) =>
  colon - start < 32 && NAME_LENGTHS[colon - start] === 1 ? text.slice(start, colon).toLowerCase() : '';
/** Whether `text[start, end)`, a header line with its first colon at `colon`, is `TOKEN:FIELD_VALUE`. */
const wellFormedField = (text: string, start: number, colon: number, end: number) =>
  TOKEN.test(text.slice(start, colon)) && FIELD_VALUE.test(text.slice(colon + 1, end));

/**
 * Calls `each` with the lower-cased options of a Connection header value (a single option without splitting);
 * false as soon as `each` refuses one.
 */
function connectionOptions(raw: string, each: (option: string) => boolean): boolean {
  if (raw.indexOf(',') === -1) return each(trimOws(raw).toLowerCase());
  for (const option of raw.split(',')) if (!each(trimOws(option).toLowerCase())) return false;
  return true;
}

/** Strips spaces and tabs (HTTP's optional whitespace) at both ends; unlike trim(), keeps every other byte. */
function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/**
 * Parses a request head (`text`: its bytes as latin1, without the blank line ending it). Returns undefined when
 * the request needs node:http: another version or method, absolute-form targets, Transfer-Encoding, Upgrade,
 * Expect, other Connection options, repeated Host or Content-Length, a Host that is missing or not valid
 * (request-target.ts), or anything malformed (which node:http then refuses with its own strict parser, and
 * target-front.ts with the router's rules for targets and Host).
 */
export function parseRequestHead(text: string): RequestHead | undefined {
  let eol = text.indexOf('\r\n');
  const line = eol === -1 ? text : text.slice(0, eol);
  const sp1 = line.indexOf(' ');
  const sp2 = line.indexOf(' ', sp1 + 1);
  if (sp1 === -1 || sp2 === -1 || line.slice(sp2 + 1) !== 'HTTP/1.1') return undefined;
  const method = line.slice(0, sp1);
  const target = line.slice(sp1 + 1, sp2);
  if (!fastPathMethod(method) || !ORIGIN_FORM.test(target)) return undefined;

  let host: string | undefined;
  let contentLength = -1;
  let close = false;
  let requestId: string | undefined;
  let forwardedFor: string | undefined;
  // Forwarded header lines: runs of `text` between dropped lines (`kept` so far, then from `from` on).
  let kept = '';
  let from = eol + 2;
  const checked = WELL_FORMED_REQUEST.test(text);
  while (eol !== -1) {
    const start = eol + 2;
    eol = text.indexOf('\r\n', start);
    const end = eol === -1 ? text.length : eol;
    const colon = text.indexOf(':', start);
    if (colon <= start || colon >= end || (!checked && !wellFormedField(text, start, colon, end))) return undefined;
    let drop = true;
    switch (knownName(text, start, colon)) {
      case 'host':
        if (host !== undefined) return undefined;
        host = trimOws(text.slice(colon + 1, end));
        drop = false;
        break;
      case 'content-length': {
        const v = trimOws(text.slice(colon + 1, end));
        if (contentLength !== -1 || !DIGITS.test(v)) return undefined;
        contentLength = Number(v);
        drop = false;
        break;
      }
      case 'connection':
        if (!connectionOptions(text.slice(colon + 1, end), (o) => (o === 'close' ? (close = true) : o === 'keep-alive' || o === ''))) return undefined;
        break;
      case 'transfer-encoding':
      case 'upgrade':
      case 'expect':
        return undefined;
      case 'x-request-id': {
        const v = trimOws(text.slice(colon + 1, end));
        if (v.length >= 1 && v.length <= 200) requestId = v;
        break;
      }
      case 'x-forwarded-for': {
        const v = trimOws(text.slice(colon + 1, end));
        forwardedFor = forwardedFor === undefined ? v : `${forwardedFor}, ${v}`;
        break;
      }
      case 'keep-alive':
      case 'proxy-connection':
      case 'te':
      case 'trailer':
      case 'x-forwarded-proto':
      case 'x-forwarded-port':
      case 'x-forwarded-host':
        break; // hop-by-hop, or set by the router itself
      default:
        drop = false;
    }
    if (drop) {
      if (start > from) kept += text.slice(from, start);
      from = eol === -1 ? text.length + 2 : eol + 2;
    }
  }
  // A missing, empty or invalid Host is node:http's side to refuse (target-front.ts), with the router's 400.
  if (host === undefined || !validHost(host)) return undefined;
  const headers = from < text.length ? `${kept}${text.slice(from)}\r\n` : kept;
  return { method, target, host, contentLength: contentLength === -1 ? 0 : contentLength, close, requestId, forwardedFor, headers };
}

/** How an upstream response body ends. */
export type Framing = 'none' | 'length' | 'chunked' | 'close';

export interface ResponseHead {
  status: number;
  /** Status line and end-to-end header lines for the client, each ending in CRLF (no blank line). */
  head: string;
  framing: Framing;
  /** Body length for `length` framing. */
  length: number;
  /** The upstream keeps the connection open after this response. */
  keepAlive: boolean;
  /** The upstream's `Keep-Alive: timeout=N`, in milliseconds. */
  idleTimeoutMs: number | undefined;
}

const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: [\t\x20-\x7e\x80-\xff]*)?$/;

/**
 * Parses an upstream response head (`text` as latin1, without the blank line). `method` is the request's (HEAD
 * responses have no body). Returns a reason string for responses the router refuses to relay: ambiguous framing
 * (Content-Length with Transfer-Encoding, differing lengths) or malformed lines.
 */
export function parseResponseHead(text: string, method: string): ResponseHead | string {
  let eol = text.indexOf('\r\n');
  const checked = WELL_FORMED_RESPONSE.test(text);
  let http10: boolean;
  let status: number;
  if (checked) {
    // `HTTP/1.x NNN`, as checked above
    http10 = text.charCodeAt(7) === 48;
    status = (text.charCodeAt(9) - 48) * 100 + (text.charCodeAt(10) - 48) * 10 + (text.charCodeAt(11) - 48);
  } else {
    const m = STATUS_LINE.exec(eol === -1 ? text : text.slice(0, eol));
    if (!m) return 'malformed status line';
    http10 = m[1] === '0';
    status = Number(m[2]);
  }
  // The head for the client: runs of `text` between dropped lines (`kept` so far, then from `from` on).
  let kept = '';
  let from = 0;
  let length = -1;
  let transferEncoding: string | undefined;
  let keepAlive = !http10;
  let idleTimeoutMs: number | undefined;
  while (eol !== -1) {
    const start = eol + 2;
    eol = text.indexOf('\r\n', start);
    const end = eol === -1 ? text.length : eol;
    const colon = text.indexOf(':', start);
    if (colon <= start || colon >= end || (!checked && !wellFormedField(text, start, colon, end))) return 'malformed header line';
    let drop = false;
    switch (knownName(text, start, colon)) {
      case 'content-length': {
        const v = trimOws(text.slice(colon + 1, end));
        // Repeated, even with equal values, as llhttp and nginx refuse it: clients would not read the response.
        if (length !== -1) return 'repeated Content-Length';
        if (!DIGITS.test(v)) return 'invalid Content-Length';
        length = Number(v);
        break;
      }
      case 'transfer-encoding':
        transferEncoding = transferEncoding === undefined ? trimOws(text.slice(colon + 1, end)) : `${transferEncoding}, ${trimOws(text.slice(colon + 1, end))}`;
        break;
      case 'connection':
        connectionOptions(text.slice(colon + 1, end), (o) => {
          if (o === 'close') keepAlive = false;
          else if (o === 'keep-alive' && http10) keepAlive = true;
          return true;
        });
        drop = true;
        break;
      case 'keep-alive': {
        const t = /(?:^|[,\s])timeout=(\d{1,6})/i.exec(text.slice(colon + 1, end));
        if (t) idleTimeoutMs = Number(t[1]) * 1000;
        drop = true;
        break;
      }
      case 'proxy-connection':
      case 'upgrade':
        drop = true;
    }
    if (drop) {
      kept += text.slice(from, start);
      from = eol === -1 ? text.length + 2 : eol + 2;
    }
  }
  const head = from < text.length ? `${kept}${text.slice(from)}\r\n` : kept;
  if (transferEncoding !== undefined && length !== -1) return 'both Content-Length and Transfer-Encoding';
  if (transferEncoding !== undefined && !plainCodings(transferEncoding)) return 'empty Transfer-Encoding element';
  const framing = responseFraming(status, method, transferEncoding, length);
  return { status, head, framing, length: Math.max(length, 0), keepAlive: keepAlive && framing !== 'close', idleTimeoutMs };
}

/**
 * Whether a Transfer-Encoding list (its header lines joined) has no empty element: an empty line or element (`chunked`
 * then an empty line, `, chunked`, `chunked,`) is read as nothing by some clients (llhttp: `chunked`) and as the last
 * coding by the framing rule below (read until close), so those responses are refused rather than framed one way.
 */
function plainCodings(te: string): boolean {
  if (te.indexOf(',') === -1) return te !== '';
  for (const coding of te.split(',')) if (trimOws(coding) === '') return false;
  return true;
}

/** How a response body ends, from its status, the request method and the framing headers (-1: no Content-Length). */
function responseFraming(status: number, method: string, transferEncoding: string | undefined, length: number): Framing {
  if ((status >= 100 && status < 200) || status === 204 || status === 304 || method === 'HEAD') return 'none';
  if (transferEncoding !== undefined) return /(?:^|,)\s*chunked\s*$/i.test(transferEncoding) ? 'chunked' : 'close';
  return length === -1 ? 'close' : 'length';
}

/** A response head read from its bytes (scanResponseHead): as ResponseHead, with the lines to drop instead of the text. */
export interface ScannedResponseHead {
  /** Where the blank line ending the head starts. */
  end: number;
  status: number;
  framing: Framing;
  length: number;
  keepAlive: boolean;
  idleTimeoutMs: number | undefined;
  /** Byte ranges to leave out, as start/end pairs: hop-by-hop lines with their CRLF, in order. */
  drops: number[] | undefined;
}

/** Bytes of header names (tchar) and of field values and reason phrases (HTAB, SP, VCHAR, obs-text). */
export const TCHAR = new Uint8Array(256);
export const VALUE_CHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0; c < 256; c++) VALUE_CHAR[c] = c === 9 || (c >= 0x20 && c !== 0x7f) ? 1 : 0;

/** Response header names the router acts on, by length. */
const RESPONSE_NAME_BYTES = new Map<number, Buffer[]>();
for (const name of ['upgrade', 'connection', 'keep-alive', 'content-length', 'proxy-connection', 'transfer-encoding']) {
  const bytes = Buffer.from(name, 'latin1');
  RESPONSE_NAME_BYTES.set(bytes.length, [...(RESPONSE_NAME_BYTES.get(bytes.length) ?? []), bytes]);
}

const KEEP_ALIVE_VALUE = [Buffer.from('keep-alive', 'latin1')];
const CLOSE_VALUE = [Buffer.from('close', 'latin1')];

/** The name among `candidates` that `buf[start, start + length)` spells, ignoring ASCII case; undefined if none. */
function matchName(buf: Buffer, start: number, candidates: Buffer[]): Buffer | undefined {
  outer: for (const name of candidates) {
    for (let i = 0; i < name.length; i++) if ((buf[start + i]! | 0x20) !== name[i]) continue outer;
    return name;
  }
  return undefined;
}

/**
 * parseResponseHead for the common case, read from the bytes at the start of `buf` in one pass that also finds
 * where the head ends, without making a string of it. Returns undefined for anything else (a head not all there
 * yet, malformed or unusual lines, repeated Content-Length, Content-Length with Transfer-Encoding): the caller then
 * looks for the end and uses parseResponseHead, which decides. For the heads it takes, the result agrees with
 * parseResponseHead (tested side by side).
 */
export function scanResponseHead(buf: Buffer, method: string): ScannedResponseHead | undefined {
  const len = buf.length;
  // Status line: `HTTP/1.x NNN` and an optional reason phrase.
  if (len < 16 || buf[0] !== 72 || buf[1] !== 84 || buf[2] !== 84 || buf[3] !== 80 || buf[4] !== 47 || buf[5] !== 49 || buf[6] !== 46 || buf[8] !== 32)
    return undefined;
  const minor = buf[7]! - 48;
  const d0 = buf[9]! - 48;
  const d1 = buf[10]! - 48;
  const d2 = buf[11]! - 48;
  if ((minor !== 0 && minor !== 1) || d0 < 0 || d0 > 9 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) return undefined;
  const status = d0 * 100 + d1 * 10 + d2;
  let i = 12;
  if (buf[i] !== 13) {
    if (buf[i] !== 32) return undefined;
    while (++i < len && buf[i] !== 13) if (VALUE_CHAR[buf[i]!] === 0) return undefined;
  }
  let length = -1;
  let transferEncoding: string | undefined;
  let keepAlive = minor === 1;
  let idleTimeoutMs: number | undefined;
  let drops: number[] | undefined;
  // Header lines: at `i` is the CR ending the previous line (or where the bytes run out).
  for (;;) {
    if (i + 3 >= len || buf[i + 1] !== 10) return undefined;
    const start = i + 2;
    if (buf[start] === 13) {
      if (buf[start + 1] !== 10) return undefined;
      break; // the blank line
    }
    let colon = start;
    while (colon < len && TCHAR[buf[colon]!] === 1) colon++;
    if (colon === start || colon >= len || buf[colon] !== 58) return undefined;
    let eol = colon + 1;
    while (eol < len && buf[eol] !== 13) if (VALUE_CHAR[buf[eol++]!] === 0) return undefined;
    i = eol;
    const candidates = RESPONSE_NAME_BYTES.get(colon - start);
    const name = candidates === undefined ? undefined : matchName(buf, start, candidates);
    if (name === undefined) continue;
    let a = colon + 1;
    let b = eol;
    while (a < b && (buf[a] === 32 || buf[a] === 9)) a++;
    while (b > a && (buf[b - 1] === 32 || buf[b - 1] === 9)) b--;
    switch (name.length === 10 ? name[0] : name.length) {
      case 14: {
        // content-length
        if (length !== -1 || b === a || b - a > 15) return undefined;
        let v = 0;
        for (let k = a; k < b; k++) {
          const d = buf[k]! - 48;
          if (d < 0 || d > 9) return undefined;
          v = v * 10 + d;
        }
        length = v;
        continue;
      }
      case 17: {
        const v = buf.toString('latin1', a, b);
        transferEncoding = transferEncoding === undefined ? v : `${transferEncoding}, ${v}`;
        continue;
      }
      case 99: // 'c': connection
        // The usual single option is compared as bytes; lists and others go through connectionOptions.
        if (b - a === 10 && matchName(buf, a, KEEP_ALIVE_VALUE) !== undefined) {
          if (minor === 0) keepAlive = true;
        } else if (b - a === 5 && matchName(buf, a, CLOSE_VALUE) !== undefined) keepAlive = false;
        else
          connectionOptions(buf.toString('latin1', colon + 1, eol), (o) => {
            if (o === 'close') keepAlive = false;
            else if (o === 'keep-alive' && minor === 0) keepAlive = true;
            return true;
          });
        break;
      case 107: {
        // 'k': keep-alive
        const t = /(?:^|[,\s])timeout=(\d{1,6})/i.exec(buf.toString('latin1', colon + 1, eol));
        if (t) idleTimeoutMs = Number(t[1]) * 1000;
        break;
      }
      // proxy-connection, upgrade: dropped
    }
    (drops ??= []).push(start, eol + 2);
  }
  if (transferEncoding !== undefined && (length !== -1 || !plainCodings(transferEncoding))) return undefined;
  const framing = responseFraming(status, method, transferEncoding, length);
  return { end: i, status, framing, length: Math.max(length, 0), keepAlive: keepAlive && framing !== 'close', idleTimeoutMs, drops };
}
