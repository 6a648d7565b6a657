// The console's live deploy output (src/api/deploy-watch.ts): replay of the deploy in progress, fan-out, bounds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeployWatch, REPLAY_BYTES, REPLAY_LINES, type DeployEvent } from '../../../src/api/deploy-watch.js';
import { sseFrame } from '../../../src/api/routes/deploy-live.js';

test('a watcher arriving mid-deploy gets the lines so far, then the rest live, then later deploys', () => {
  const w = new DeployWatch();
  const d = w.begin('hello');
  d.line('-----> Building');
  const got: DeployEvent[] = [];
  const stop = w.watch('hello', (e) => got.push(e));
  d.line('-----> Done');
  d.end(true);
  assert.equal(w.inProgress('hello'), false);
  w.begin('hello').line('second');
  assert.deepEqual(
    got.map((e) => (e.type === 'line' ? e.text : e.type)),
    ['start', '-----> Building', '-----> Done', 'end', 'start', 'second'],
  );
  stop();
  w.begin('hello').line('unseen');
  assert.equal(got.length, 6, 'nothing after unsubscribing');
});

test("another app's deploys are not sent", () => {
  const w = new DeployWatch();
  const got: DeployEvent[] = [];
  w.watch('a', (e) => got.push(e));
  w.begin('b').line('x');
  assert.deepEqual(got, []);
});

test('the replay is bounded and says how many lines it left out', () => {
  const w = new DeployWatch();
  const d = w.begin('big');
  for (let i = 0; i < REPLAY_LINES + 50; i++) d.line(`line ${i}`);
  const got: DeployEvent[] = [];
  w.watch('big', (e) => got.push(e));
  assert.equal(got.length, REPLAY_LINES + 1);
  assert.match((got.at(-1) as { text: string }).text, /51 earlier lines/);
});

test('attack: a build printing huge lines cannot make the replay hold more than REPLAY_BYTES', () => {
  const w = new DeployWatch();
  const d = w.begin('noisy');
  const line = 'x'.repeat(64 * 1024);
  for (let i = 0; i < 500; i++) d.line(line);
  const got: DeployEvent[] = [];
  w.watch('noisy', (e) => got.push(e));
  const held = got.reduce((n, e) => n + (e.type === 'line' ? e.text.length : 0), 0);
  assert.ok(held <= REPLAY_BYTES + 200, `replay holds ${held} bytes`);
  assert.match((got.at(-1) as { text: string }).text, /48\d earlier lines/);
});

test('events are framed as server-sent events with JSON data', () => {
  assert.equal(sseFrame({ type: 'line', text: 'a\nb' }), 'event: line\ndata: {"type":"line","text":"a\\nb"}\n\n');
});
