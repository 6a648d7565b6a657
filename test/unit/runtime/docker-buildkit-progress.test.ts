import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BuildkitProgress, decodeStatus } from '../../../src/runtime/docker/buildkit-progress.js';
import { MAX_LINE_BYTES, cutMarker } from '../../../src/shared/line-splitter.js';

// A minimal protobuf writer for the StatusResponse fields the decoder reads.
const varint = (n: number): Buffer => {
  const out: number[] = [];
  do {
    out.push((n % 128) | (n >= 128 ? 0x80 : 0));
    n = Math.floor(n / 128);
  } while (n > 0);
  return Buffer.from(out);
};
const field = (no: number, value: Buffer | string | number): Buffer =>
  typeof value === 'number'
    ? Buffer.concat([varint(no * 8), varint(value)])
    : Buffer.concat([varint(no * 8 + 2), varint(Buffer.byteLength(value)), Buffer.from(value)]);
const ts = (ms: number) => Buffer.concat([field(1, Math.floor(ms / 1000)), field(2, (ms % 1000) * 1e6)]);
const vertex = (v: { digest: string; name: string; cached?: boolean; started?: number; completed?: number; error?: string }) =>
  Buffer.concat([
    field(1, v.digest),
    field(2, 'sha256:input'),
    field(3, v.name),
    ...(v.cached ? [field(4, 1)] : []),
    ...(v.started !== undefined ? [field(5, ts(v.started))] : []),
    ...(v.completed !== undefined ? [field(6, ts(v.completed))] : []),
    ...(v.error ? [field(7, v.error)] : []),
  ]);
const log = (digest: string, msg: string) => Buffer.concat([field(1, digest), field(2, ts(1)), field(3, 1), field(4, msg)]);
const status = (parts: { vertexes?: Buffer[]; logs?: Buffer[] }) =>
  Buffer.concat([...(parts.vertexes ?? []).map((v) => field(1, v)), ...(parts.logs ?? []).map((l) => field(3, l))]).toString('base64');

test('a status message decodes to its steps and output', () => {
  const s = decodeStatus(
    status({
      vertexes: [vertex({ digest: 'sha256:a', name: '[1/2] FROM base', cached: true, started: 1000, completed: 1000 })],
      logs: [log('sha256:a', 'hi\n')],
    }),
  );
  assert.deepEqual(s.vertexes, [{ digest: 'sha256:a', name: '[1/2] FROM base', cached: true, started: 1000, completed: 1000, error: '' }]);
  assert.equal(s.logs[0]!.vertex, 'sha256:a');
  assert.equal(s.logs[0]!.msg.toString(), 'hi\n');
  assert.throws(() => decodeStatus(Buffer.from([0x0a, 0x05, 0x01]).toString('base64')), /truncated/);
});

test('steps show once, in order, with their output lines and how they ended', () => {
  const lines: string[] = [];
  const p = new BuildkitProgress((l) => lines.push(l));
  p.trace(status({ vertexes: [vertex({ digest: 'sha256:a', name: '[1/3] FROM docker.io/yunbang/stack:latest', cached: true })] }));
  p.trace(status({ vertexes: [vertex({ digest: 'sha256:b', name: '[2/3] RUN make' })] })); // not started yet: not shown
  p.trace(status({ vertexes: [vertex({ digest: 'sha256:b', name: '[2/3] RUN make', started: 10_000 })] }));
  p.trace(status({ logs: [log('sha256:b', 'compiling a\ncompil')] }));
  p.trace(status({ logs: [log('sha256:b', 'ing b\r\nlast line without newline')] }));
  p.trace(status({ vertexes: [vertex({ digest: 'sha256:b', name: '[2/3] RUN make', started: 10_000, completed: 12_500 })] }));
  p.trace(status({ vertexes: [vertex({ digest: 'sha256:b', name: '[2/3] RUN make', started: 10_000, completed: 12_500 })] })); // repeated: ignored
  p.trace(
    status({
      vertexes: [
        vertex({
          digest: 'sha256:c',
          name: '[3/3] RUN false',
          started: 13_000,
          completed: 13_100,
          error: 'process "/bin/sh -c false" did not complete successfully: exit code: 1',
        }),
      ],
    }),
  );
  p.trace('not base64 protobuf at all');
  assert.deepEqual(lines, [
    '#1 [1/3] FROM docker.io/yunbang/stack:latest',
    '#1 CACHED',
    '#2 [2/3] RUN make',
    '#2 compiling a',
    '#2 compiling b',
    '#2 last line without newline',
    '#2 DONE 2.5s',
    '#3 [3/3] RUN false',
    '#3 ERROR: process "/bin/sh -c false" did not complete successfully: exit code: 1',
  ]);
});

test('a RUN step printing without newlines is shown cut at the bound; the rest of that line is dropped (#14)', () => {
  const lines: string[] = [];
  const p = new BuildkitProgress((l) => lines.push(l));
  p.trace(status({ vertexes: [vertex({ digest: 'sha256:d', name: '[1/1] RUN yes | tr -d "\\n"', started: 1000 })] }));
  const chunk = 'y'.repeat(16 * 1024);
  for (let i = 0; i < 64; i++) p.trace(status({ logs: [log('sha256:d', chunk)] })); // 1 MiB, no newline
  p.trace(status({ logs: [log('sha256:d', 'tail of the long line\nnext line\n')] }));
  p.trace(status({ vertexes: [vertex({ digest: 'sha256:d', name: '[1/1] RUN yes | tr -d "\\n"', started: 1000, completed: 2000 })] }));
  assert.deepEqual(lines, ['#1 [1/1] RUN yes | tr -d "\\n"', `#1 ${'y'.repeat(MAX_LINE_BYTES)}${cutMarker(MAX_LINE_BYTES)}`, '#1 next line', '#1 DONE 1.0s']);
});
