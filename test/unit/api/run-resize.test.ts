// A one-off's terminal sizes reach the engine in the order asked (api/run-session.ts orderedResizes): the initial size
// once the process started, then the client's resizes, even when a client's resize arrives before the start is done.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { orderedResizes } from '../../../src/api/run-session.js';
import type { Attachment } from '../../../src/runtime/runtime.js';

test("a client's early resize is applied after the initial size, not undone by it", async () => {
  const sizes: string[] = [];
  // The engine answers each resize after a while; a slow first answer must not let the second overtake it.
  const proc = {
    resize: (cols: number, rows: number) => new Promise<void>((r) => setTimeout(() => (sizes.push(`${cols}x${rows}`), r()), sizes.length === 0 ? 30 : 1)),
  } as unknown as Attachment;
  let started!: () => void;
  const starting = new Promise<void>((r) => (started = r));
  const resize = orderedResizes(proc, starting, 100, 30);
  resize(77, 22); // before the process has started
  started();
  resize(80, 24);
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(sizes, ['100x30', '77x22', '80x24']);
});

test('a failed resize (the process ended meanwhile) does not stop later ones', async () => {
  const sizes: string[] = [];
  const proc = {
    resize: async (cols: number, rows: number) => {
      sizes.push(`${cols}x${rows}`);
      if (sizes.length === 1) throw new Error('no such container');
    },
  } as unknown as Attachment;
  const resize = orderedResizes(proc, Promise.resolve(), 0, 0);
  resize(10, 5);
  resize(11, 6);
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(sizes, ['10x5', '11x6'], 'no initial size was asked for (0x0), the failure is dropped');
});
