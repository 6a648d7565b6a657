// Differential fuzzing of how the fast path frames an app's response (scanResponseHead, else parseResponseHead, then
// ChunkedScanner, as h1-exchange.ts applies them) against llhttp as node:http's client reads the same bytes
// (llhttp-oracle.ts): issue #14. Every response the router relays must end where a client ends it, or a client
// could read an app's body bytes as a response of their own (to its next request, perhaps another app's). Responses
// the router refuses (502) are safe whatever llhttp makes of them. FUZZ_SEED picks another sequence.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { parseResponseHead, scanResponseHead, HEAD_END } from '../../../src/router/h1-parse.js';
import { ChunkedScanner } from '../../../src/router/h1-chunked.js';
import { random, type Random } from './seeded-random.js';
import { startResponseOracle, type ResponseOracle, type OracleResponse } from './llhttp-oracle.js';

const MAX_HEADER = 16 * 1024;
const SEED = Number(process.env.FUZZ_SEED ?? 14);
const PARALLEL = 24;

let oracle: ResponseOracle;
before(async () => (oracle = await startResponseOracle(MAX_HEADER)));
after(() => oracle?.close());

const STATUS = [
  'HTTP/1.1 200 OK',
  'HTTP/1.1 200 OK',
  'HTTP/1.1 200 OK',
  'HTTP/1.0 200 OK',
  'HTTP/1.1 204 No Content',
  'HTTP/1.1 304 Not Modified',
  'HTTP/1.1 404',
  'HTTP/1.1 500 \xe9',
  'HTTP/1.2 200 OK',
  'HTTP/2 200',
  'http/1.1 200 OK',
  'HTTP/1.1 20 OK',
  'HTTP/1.1 2000 OK',
  'HTTP/1.1  200 OK',
  'HTTP/1.1 200 O\x00K',
];
const FIELDS: ReadonlyArray<readonly [readonly string[], readonly string[]]> = [
  [
    ['Content-Length', 'content-length', 'Content-Length ', 'Content_Length'],
    ['0', '5', '12', '05', '+5', '-1', '0x5', ' 5 ', '5,5', '5 5', '', '99999999999999999999', '5\x00'],
  ],
  [
    ['Transfer-Encoding', 'transfer-encoding', 'Transfer-Encoding '],
    [
      'chunked',
      'Chunked',
      'chunked, identity',
      'identity, chunked',
      'identity',
      'xchunked',
      'chunked ',
      'gzip, chunked',
      'gzip',
      'chunked,',
      ', chunked',
      '',
      'chunked, chunked',
    ],
  ],
  [['Connection'], ['keep-alive', 'close', 'upgrade', 'x']],
  [
    ['Content-Type', 'X-A', 'Keep-Alive', 'Upgrade', 'Proxy-Connection', 'Trailer'],
    ['x', '', 'timeout=5', 'a\tb', '\xe9', 'a\x00b', 'a\x7fb', 'a\rb'],
  ],
  [['', 'X A', 'X"A', 'X\x00A'], ['x']],
];
const SEPARATORS = [': ', ': ', ':', ' : ', ':\t'];
const EOLS = ['\r\n', '\r\n', '\r\n', '\r\n', '\r\n', '\r\n', '\n', '\r'];
const BODIES = [
  '',
  'hello',
  'hello world!',
  '5\r\nhello\r\n0\r\n\r\n',
  '0\r\n\r\n',
  '5\r\nhello\r\n0\r\nX: y\r\n\r\n',
  '5\r\nhello\r\n0\r\n\n',
  '5 \r\nhello\r\n0\r\n\r\n',
  '5;a=b\r\nhello\r\n0\r\n\r\n',
  '5\r\nhello0\r\n\r\n',
];
const FORGED = 'HTTP/1.1 200 OK\r\nX-Forged: yes\r\nContent-Length: 0\r\n\r\n';

function responseCase(r: Random): string {
  const mangled = r.chance(0.5);
  let text = mangled && r.chance(0.3) ? r.pick(STATUS) : r.pick(STATUS.slice(0, 6));
  for (let k = r.int(mangled ? 5 : 3); k > 0; k--) {
    const [names, values] = mangled ? r.pick(FIELDS) : r.pick(FIELDS.slice(0, 3));
    text += `${mangled && r.chance(0.05) ? r.pick(EOLS) : '\r\n'}${mangled ? r.pick(names) : names[0]}${mangled ? r.pick(SEPARATORS) : ': '}${r.pick(values)}`;
  }
  if (mangled && r.chance(0.05)) text += '\r\n folded';
  return `${text}\r\n\r\n${r.pick(BODIES)}${r.chance(0.5) ? FORGED : ''}`;
}

/** The decoded length of the chunked body `bytes[0, end)` that ChunkedScanner took. */
function decodedLength(bytes: Buffer, end: number): number {
  let n = 0;
  let i = 0;
  while (i < end) {
    const eol = bytes.indexOf('\r\n', i);
    const size = Number.parseInt(bytes.toString('latin1', i, eol).split(';')[0]!, 16);
    if (size === 0) break;
    n += size;
    i = eol + 2 + size + 2;
  }
  return n;
}

/** How the router and llhttp differ on a response the router relays; undefined when they agree or the router refuses it. */
function disagreement(bytes: Buffer, o: OracleResponse): string | undefined {
  const scanned = scanResponseHead(bytes, 'GET');
  const end = scanned !== undefined ? scanned.end : bytes.indexOf(HEAD_END);
  if (end === -1) return undefined; // no head: a 502 once the app closes
  const parsed = scanned ?? parseResponseHead(bytes.toString('latin1', 0, end), 'GET');
  if (typeof parsed === 'string') return undefined; // refused: 502
  if (parsed.status < 200) return undefined; // informational heads are relayed and another head follows: not generated
  if (o.status !== parsed.status) return `status ${parsed.status} relayed, llhttp ${o.status ?? `refuses it (${o.error})`}`;
  const rest = bytes.subarray(end + 4);
  switch (parsed.framing) {
    case 'none':
      return o.bodyBytes === 0 && o.complete ? undefined : `no body for the router, ${o.bodyBytes} bytes (complete: ${o.complete}) for llhttp`;
    case 'length': {
      const n = Math.min(parsed.length, rest.length);
      if (o.bodyBytes !== n) return `a body of ${n} bytes for the router, ${o.bodyBytes} for llhttp`;
      return n === parsed.length && !o.complete ? 'the router ends the body, llhttp does not' : undefined;
    }
    case 'close':
      return o.bodyBytes === rest.length ? undefined : `a body until the close (${rest.length} bytes) for the router, ${o.bodyBytes} for llhttp`;
    case 'chunked': {
      const e = new ChunkedScanner().scan(rest);
      if (e < 0) return undefined; // broken or cut: the router cuts the client connection
      if (!o.complete) return `the router ends the chunked body at ${e}, llhttp refuses it (${o.error})`;
      return o.bodyBytes === decodedLength(rest, e) ? undefined : `a chunked body of ${decodedLength(rest, e)} bytes for the router, ${o.bodyBytes} for llhttp`;
    }
  }
}

test(`response framing: 10,000 seeded responses (seed ${SEED}); every one the router relays, llhttp ends in the same place`, async () => {
  const r = random(SEED);
  const cases = Array.from({ length: 10_000 }, () => Buffer.from(responseCase(r), 'latin1'));
  const results: OracleResponse[] = new Array(cases.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (next < cases.length) {
        const n = next++;
        results[n] = await oracle.read(cases[n]!);
      }
    }),
  );
  const failures: string[] = [];
  let relayed = 0;
  for (let n = 0; n < cases.length; n++) {
    const d = disagreement(cases[n]!, results[n]!);
    if (d !== undefined) failures.push(`case ${n}: ${d}: ${JSON.stringify(cases[n]!.toString('latin1'))}`);
    else if (results[n]!.complete) relayed++;
  }
  assert.deepEqual(failures.slice(0, 20), [], `FUZZ_SEED=${SEED}: ${failures.length} disagreements`);
  assert.ok(relayed > 3000, `only ${relayed} responses were read to their end`);
});
