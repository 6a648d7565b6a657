// Differential fuzzing against llhttp (node:http's parser, a real server on loopback: llhttp-oracle.ts), aimed at
// request smuggling (issue #14): seeded request heads, valid and mangled, go through the fast path's head parsing
// (parseRequestHead as h1-proxy.ts applies it, pipelining included) and through llhttp, which must agree on every
// request the fast path forwards: accepted, same method, target and header lines, same body framing. A request the
// fast path hands to node:http is left to llhttp's verdict. Chunked bodies: ChunkedScanner must end a body where
// llhttp does, or refuse it. FUZZ_SEED picks another sequence; a failure prints the seed and the case.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequestHead } from '../../../src/router/h1-parse.js';
import { ChunkedScanner } from '../../../src/router/h1-chunked.js';
import { random, type Random } from './seeded-random.js';
import { startOracle, type Oracle, type OracleVerdict } from './llhttp-oracle.js';

/** The router's default head limit (YB_ROUTER_MAX_HEADER_KB), on both sides. */
const MAX_HEADER = 16 * 1024;
const SEED = Number(process.env.FUZZ_SEED ?? 14);
/** Connections to the oracle in flight at once. */
const PARALLEL = 24;

let oracle: Oracle;
before(async () => (oracle = await startOracle(MAX_HEADER)));
after(() => oracle?.close());

const METHODS = [
  'GET',
  'GET',
  'GET',
  'POST',
  'POST',
  'PUT',
  'HEAD',
  'DELETE',
  'PATCH',
  'OPTIONS',
  'get',
  'Get',
  'PURGE',
  'CONNECT',
  'TRACE',
  'G\x00T',
  'GET\t',
];
const TARGETS = [
  '/',
  '/',
  '/a?b=c',
  '/x/y.json',
  '/a b',
  'http://a.localhost/',
  '*',
  '/\x00',
  '/\x7f',
  '/\x80',
  '/%0d%0a',
  '/"<>\\^`{|}',
  '/#f',
  '//x',
  '/a\tb',
  '/a\rb',
  '',
  'a',
  '/\xe9',
  '/a\nb',
];
const VERSIONS = [
  'HTTP/1.1',
  'HTTP/1.1',
  'HTTP/1.1',
  'HTTP/1.1',
  'HTTP/1.1',
  'HTTP/1.0',
  'HTTP/1.2',
  'HTTP/2.0',
  'HTTP/0.9',
  'http/1.1',
  'HTTP/1.1 ',
  'HTTP/01.1',
  'HTTP/1.10',
  'HTTP/1',
];
const LONG = 'LONG';
/** Header fields by kind: name spellings (valid and mangled) and values. */
const FIELDS: ReadonlyArray<readonly [readonly string[], readonly string[]]> = [
  [
    ['Content-Length', 'content-length', 'CONTENT-LENGTH', 'Content-Length ', 'Content-Length\t', ' Content-Length', 'Content_Length'],
    [
      '0',
      '5',
      '12',
      '05',
      '+5',
      '-1',
      '0x10',
      ' 5 ',
      '5,5',
      '5, 5',
      '5 5',
      '',
      '9007199254740993',
      '99999999999999999999',
      '000000000000000000005',
      '1e1',
      '\t7',
      '5\x00',
      '0005',
    ],
  ],
  [
    ['Transfer-Encoding', 'transfer-encoding', 'Transfer-Encoding ', 'Transfer_Encoding', 'TRANSFER-ENCODING', ' Transfer-Encoding'],
    [
      'chunked',
      'Chunked',
      'chunked, identity',
      'identity, chunked',
      'identity',
      'xchunked',
      'chunked ',
      'gzip, chunked',
      'chunked\x00',
      '\tchunked',
      'chunked;q=1',
      '',
      'ch unked',
      'chunked, chunked',
    ],
  ],
  [
    ['Connection', 'connection'],
    ['keep-alive', 'close', 'Keep-Alive, close', 'upgrade', 'x-secret', '', 'close, transfer-encoding'],
  ],
  [
    ['Upgrade', 'Expect'],
    ['websocket', '100-continue'],
  ],
  [
    ['Host', 'host', 'HOST'],
    ['a.localhost', 'b.localhost:8080', '', 'a b', 'a\x01', '[::1]:80'],
  ],
  [
    ['X-A', 'Accept', 'Cookie', 'User-Agent', 'X-Forwarded-For', 'X-Request-Id', 'Keep-Alive', 'TE', 'Trailer', 'X-Forwarded-Host', 'Proxy-Connection'],
    ['x', '', '*/*', 'a=b; c=d', '10.0.0.1', 'abc', 'trailers', '\xe9\xff', 'a\tb', ' x ', 'a\x00b', 'a\rb', 'a\nb', 'a\x7fb', 'a\x1bb', LONG],
  ],
  [['', 'X A', 'X"A', 'X\x00A', 'X(A)', '\xe9', 'X\tA', 'X\rA', 'X\nA', 'X/A'], ['x']],
];
/** Fields of plain requests, which the fast path takes. */
const PLAIN = [
  'Content-Length: 5',
  'content-length: 0',
  'Content-Length:  12 ',
  'Content-Length: 05',
  'Connection: keep-alive',
  'Accept: */*',
  'X-Request-Id: abc',
  'X-Forwarded-For: 10.0.0.1',
  'Cookie: a=b; c=d',
  'X-A:\t\xe9 ',
  'TE: trailers',
  'Keep-Alive: 5',
];
const SEPARATORS = [': ', ': ', ': ', ':', ' : ', ':\t', ': \t', ':  ', '\t:'];
const EOLS = ['\r\n', '\r\n', '\r\n', '\r\n', '\r\n', '\r\n', '\r\n', '\r\n', '\n', '\r', '\r\r\n', '\n\r'];
const HEAD_ENDS = ['\r\n\r\n', '\r\n\r\n', '\r\n\r\n', '\r\n\r\n', '\r\n\r\n', '\r\n\r\n', '\n\n', '\r\n\n', '\n\r\n'];
const SECOND = 'GET /second HTTP/1.1\r\nHost: b.localhost\r\n\r\n';
const TAILS = [
  '',
  '',
  'hello',
  'xxxxxxxxxxxx',
  '5\r\nhello\r\n0\r\n\r\n',
  '0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a.localhost\r\n\r\n',
  'GET /smuggled HTTP/1.1\r\nHost: a.localhost\r\n\r\n',
  '\r\n',
];

function field(r: Random, kind?: number): string {
  const [names, values] = FIELDS[kind ?? r.int(FIELDS.length)]!;
  let value = r.pick(values);
  if (value === LONG) value = 'x'.repeat(2000 + r.int(9000));
  return `${r.pick(names)}${r.pick(SEPARATORS)}${value}`;
}

/** One request, mostly valid HTTP/1.1 with a Host, mangled in a few places, with a body tail and maybe a second request. */
function requestCase(r: Random): string {
  const mangled = r.chance(0.6);
  const line =
    mangled && r.chance(0.3)
      ? `${r.pick(METHODS)} ${r.pick(TARGETS)} ${r.pick(VERSIONS)}`
      : `${r.pick(['GET', 'POST', 'PUT', 'HEAD'])} ${r.pick(['/', '/a?b=c', '/x'])} HTTP/1.1`;
  const lines = [line];
  if (!mangled || r.chance(0.9)) lines.push(mangled ? field(r, 4) : `Host: ${r.pick(['a.localhost', 'b.localhost:8080'])}`);
  for (let k = r.int(mangled ? 6 : 4); k > 0; k--) lines.push(mangled ? field(r) : r.pick(PLAIN));
  if (r.chance(0.15)) lines.splice(1 + r.int(lines.length - 1), 0, lines[1 + r.int(lines.length - 1)] ?? 'Host: a.localhost'); // a repeated line
  if (mangled && r.chance(0.1)) lines.splice(1 + r.int(lines.length), 0, r.pick([' x', '\tchunked', ' chunked', '\t']));
  if (mangled && r.chance(0.1)) lines.splice(1 + r.int(lines.length), 0, field(r, 0));
  let text = lines[0]!;
  for (let k = 1; k < lines.length; k++) text += (mangled && r.chance(0.05) ? r.pick(EOLS) : '\r\n') + lines[k];
  text += mangled && r.chance(0.1) ? r.pick(HEAD_ENDS) : '\r\n\r\n';
  text += r.pick(TAILS);
  if (r.chance(0.5)) text += SECOND;
  return text;
}

/** Header lines of a head the fast path took, as llhttp reports them: names as sent, values without OWS. */
function headerPairs(head: string): string[] {
  const out: string[] = [];
  const lines = head.split('\r\n').slice(1);
  for (const l of lines) {
    const colon = l.indexOf(':');
    out.push(l.slice(0, colon), l.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, ''));
  }
  return out;
}

interface Forwarded {
  method: string;
  target: string;
  host: string;
  contentLength: number;
  pairs: string[];
  /** Body bytes present in the case. */
  bodyHere: number;
}

/**
 * What the fast path does with a connection's bytes (h1-proxy.ts `next`): the requests it forwards, in order, and
 * then 'handoff' (the rest goes to node:http), 'wait' (a head not all there), 'body' (a body not all there),
 * 'closed' (the client asked to close: the rest is dropped) or 'end' (all bytes used).
 */
function fastPath(bytes: Buffer): { forwarded: Forwarded[]; rest: 'handoff' | 'wait' | 'body' | 'closed' | 'end' } {
  const forwarded: Forwarded[] = [];
  let at = 0;
  for (;;) {
    if (at === bytes.length) return { forwarded, rest: 'end' };
    const text = bytes.toString('latin1', at);
    const end = text.indexOf('\r\n\r\n');
    if (end === -1) return { forwarded, rest: text.length > MAX_HEADER ? 'handoff' : 'wait' };
    if (end > MAX_HEADER) return { forwarded, rest: 'handoff' };
    const head = text.slice(0, end);
    const req = parseRequestHead(head);
    if (req === undefined) return { forwarded, rest: 'handoff' };
    const bodyHere = Math.min(req.contentLength, bytes.length - at - end - 4);
    forwarded.push({ method: req.method, target: req.target, host: req.host, contentLength: req.contentLength, pairs: headerPairs(head), bodyHere });
    at += end + 4 + req.contentLength;
    if (at > bytes.length) return { forwarded, rest: 'body' };
    if (req.close) return { forwarded, rest: 'closed' }; // what follows is discarded (exchangeDone), as llhttp refuses it
  }
}

/** Where the fast path and llhttp disagree on `bytes`, in one sentence; undefined when they agree. */
function disagreement(bytes: Buffer, v: OracleVerdict): string | undefined {
  const { forwarded, rest } = fastPath(bytes);
  for (let i = 0; i < forwarded.length; i++) {
    const f = forwarded[i]!;
    const o = v.requests[i];
    if (o === undefined) return `the fast path forwards request ${i + 1}, llhttp refuses it (${v.error ?? 'no request'})`;
    if (o.method !== f.method || o.url !== f.target || o.version !== '1.1')
      return `request ${i + 1}: fast path ${f.method} ${f.target}, llhttp ${o.method} ${o.url} HTTP/${o.version}`;
    if (JSON.stringify(o.rawHeaders) !== JSON.stringify(f.pairs))
      return `request ${i + 1}: header lines differ: fast path ${JSON.stringify(f.pairs)}, llhttp ${JSON.stringify(o.rawHeaders)}`;
    const te = o.rawHeaders.some((h, k) => k % 2 === 0 && h.toLowerCase() === 'transfer-encoding');
    if (te) return `request ${i + 1}: llhttp frames the body by Transfer-Encoding, the fast path by Content-Length ${f.contentLength}`;
    if (o.bodyBytes !== f.bodyHere) return `request ${i + 1}: body of ${f.bodyHere} bytes for the fast path, ${o.bodyBytes} for llhttp`;
    if (f.bodyHere === f.contentLength && !o.complete) return `request ${i + 1}: the fast path has the whole body, llhttp does not end it`;
  }
  if (rest === 'end' || rest === 'body') {
    if (v.requests.length !== forwarded.length) return `the fast path reads ${forwarded.length} requests, llhttp ${v.requests.length}`;
    if (rest === 'end' && v.error !== undefined) return `the fast path takes every byte, llhttp refuses the end (${v.error})`;
  }
  return undefined;
}

/** Runs `cases` through the oracle, `PARALLEL` at a time, calling `check` on each verdict in order. */
async function withVerdicts(cases: Buffer[], check: (bytes: Buffer, v: OracleVerdict, n: number) => void): Promise<void> {
  const verdicts: Promise<OracleVerdict>[] = [];
  let next = 0;
  const lane = async () => {
    while (next < cases.length) {
      const n = next++;
      verdicts[n] = oracle.parse(cases[n]!);
      await verdicts[n];
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, lane));
  for (let n = 0; n < cases.length; n++) check(cases[n]!, await verdicts[n]!, n);
}

test(`request heads: 20,000 seeded cases (seed ${SEED}) and every byte in each part of a head; every request the fast path forwards, llhttp parses the same way`, async () => {
  const r = random(SEED);
  const cases = Array.from({ length: 20_000 }, () => Buffer.from(requestCase(r), 'latin1'));
  // And every byte in a target's path, query and fragment, in a header name and in a header value.
  for (let c = 0; c < 256; c++) {
    const b = String.fromCharCode(c);
    for (const text of [
      `GET /a${b}b HTTP/1.1\r\nHost: a\r\n\r\n`,
      `GET /a?b${b}c HTTP/1.1\r\nHost: a\r\n\r\n`,
      `GET /a#b${b}c HTTP/1.1\r\nHost: a\r\n\r\n`,
      `GET / HTTP/1.1\r\nHost: a\r\nX${b}Y: z\r\n\r\n`,
      `GET / HTTP/1.1\r\nHost: a\r\nX: y${b}z\r\n\r\n`,
    ]) {
      cases.push(Buffer.from(text, 'latin1'));
    }
  }
  let forwarded = 0;
  let refusedByBoth = 0;
  const failures: string[] = [];
  await withVerdicts(cases, (bytes, v, n) => {
    const d = disagreement(bytes, v);
    if (d !== undefined) failures.push(`case ${n}: ${d}: ${JSON.stringify(bytes.toString('latin1').slice(0, 300))}`);
    const f = fastPath(bytes).forwarded.length;
    forwarded += f;
    if (f === 0 && v.requests.length === 0) refusedByBoth++;
  });
  assert.deepEqual(failures.slice(0, 20), [], `FUZZ_SEED=${SEED}: ${failures.length} disagreements`);
  // The generator must exercise both sides: many requests forwarded, many refused.
  assert.ok(forwarded > 8000, `only ${forwarded} requests took the fast path`);
  assert.ok(refusedByBoth > 2000, `only ${refusedByBoth} cases were refused by both`);
});

const SIZES = [
  '5',
  '5',
  '5',
  '05',
  'A',
  'a',
  '0000000000005',
  '00000000000000000000005',
  'ffffffffffffffff',
  'fffffffffffff',
  '5 ',
  '5\t',
  '5;a=b',
  '5 ;a=b',
  '5;a="b c"',
  '5;a=b;c',
  '5;a',
  '5;\x00',
  '5;a\x7f',
  '5;a\rb',
  '-5',
  '0x5',
  '',
  ' 5',
  '5;',
  'g',
  '5\xff',
  '+5',
];
const LAST = ['0', '0', '0', '00', '0;x=y', '0 ', '000000000000000000', '0\t', '0;'];
const TRAILERS = ['X: y', 'X:y', 'X y', ' folded', 'Content-Length: 5', 'X: a\x00b', 'X: a\rb', ':y', 'X\x00: y', 'X: \xe9'];
const CHUNK_EOLS = ['\r\n', '\r\n', '\r\n', '\r\n', '\r\n', '\r\n', '\n', '\r', '', '\r\r\n'];
const NEXT = 'GET /next HTTP/1.1\r\nHost: n\r\n\r\n';
const CHUNKED_HEAD = 'POST /c HTTP/1.1\r\nHost: c\r\nTransfer-Encoding: chunked\r\n\r\n';

/** A chunked body, mostly valid, mangled in a few places. */
function chunkedCase(r: Random): string {
  const clean = r.chance(0.3);
  let body = '';
  for (let k = r.int(4); k > 0; k--) {
    const size = clean ? r.pick(['5', 'A', '05', '5;a=b']) : r.pick(SIZES);
    const n = /^[0-9a-fA-F]+/.test(size) ? Number.parseInt(size, 16) : 3;
    const len = n <= 64 ? n + (clean || r.chance(0.8) ? 0 : r.pick([-1, 1])) : 4;
    body += `${size}${clean ? '\r\n' : r.pick(CHUNK_EOLS)}${'d'.repeat(Math.max(len, 0))}${clean ? '\r\n' : r.pick(CHUNK_EOLS)}`;
  }
  body += `${clean ? '0' : r.pick(LAST)}${clean ? '\r\n' : r.pick(CHUNK_EOLS)}`;
  for (let k = r.chance(0.3) ? 1 + r.int(2) : 0; k > 0; k--) body += `${clean ? 'X: y' : r.pick(TRAILERS)}${clean ? '\r\n' : r.pick(CHUNK_EOLS)}`;
  return body + (clean ? '\r\n' : r.pick(CHUNK_EOLS));
}

/** Where ChunkedScanner ends `bytes` fed in two reads split at `cut`: an offset, -1 (wants more) or -2 (refused). */
function scanEnd(bytes: Buffer, cut: number): number {
  const s = new ChunkedScanner();
  const first = s.scan(bytes.subarray(0, cut));
  if (first !== -1) return first;
  const second = s.scan(bytes.subarray(cut));
  return second < 0 ? second : cut + second;
}

test(`chunked bodies: 10,000 seeded cases (seed ${SEED}); ChunkedScanner ends a body where llhttp does, or refuses it`, async () => {
  const r = random(SEED + 1);
  const bodies = Array.from({ length: 10_000 }, () => chunkedCase(r));
  const cases = bodies.map((b) => Buffer.from(CHUNKED_HEAD + b + NEXT, 'latin1'));
  let agreed = 0;
  const failures: string[] = [];
  await withVerdicts(cases, (bytes, v, n) => {
    const body = bytes.subarray(CHUNKED_HEAD.length);
    const bodyLength = bodies[n]!.length;
    const end = scanEnd(body, r.int(body.length + 1));
    const post = v.requests[0];
    const next = v.requests[1];
    // llhttp ended the body where the case's body ends when it then read the request that follows, at the end of
    // the bytes when nothing followed (the next request taken as trailers, say).
    const llhttpEnd = !post?.complete
      ? 'refused'
      : next?.url === '/next' && next.rawHeaders.join() === 'Host,n'
        ? bodyLength
        : next === undefined && v.error === undefined
          ? body.length
          : 'elsewhere';
    const problem =
      end === -2
        ? undefined
        : end === -1
          ? llhttpEnd === 'refused'
            ? undefined
            : 'the scanner waits for more where llhttp ended the body'
          : llhttpEnd === 'refused'
            ? `the scanner ends the body at ${end}, llhttp refuses it (${v.error})`
            : end !== llhttpEnd
              ? `the scanner ends the body at ${end}, llhttp at ${llhttpEnd}`
              : undefined;
    if (problem !== undefined) failures.push(`case ${n}: ${problem}: ${JSON.stringify(bodies[n])}`);
    else if (end >= 0) agreed++;
  });
  assert.deepEqual(failures.slice(0, 20), [], `FUZZ_SEED=${SEED}: ${failures.length} disagreements`);
  assert.ok(agreed > 2500, `only ${agreed} bodies were read to their end by both`);
});
