// shared/phases.ts: the phase clock charges each slice of time once, never a negative one; the line people read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPhases, phaseClock, type Phases } from '../../../src/shared/phases.js';

test('consecutive marks charge the time since the previous one, and add up to the elapsed time', () => {
  const phases: Phases = {};
  const mark = phaseClock(phases, 1000);
  mark('queue', 1000);
  mark('receive', 1250);
  mark('unpack', 1300);
  mark('receive', 1400); // a phase met again adds to what it had
  assert.deepEqual(phases, { queue: 0, receive: 350, unpack: 50 });
  assert.equal(
    Object.values(phases).reduce((a, b) => a + b, 0),
    400,
  );
});

test('a mark before the previous one (a clock step, a timestamp taken earlier) charges nothing and never goes back', () => {
  const phases: Phases = {};
  const mark = phaseClock(phases, 1000);
  mark('start', 1500);
  mark('health', 1200);
  mark('switch', 1600);
  assert.deepEqual(phases, { start: 500, health: 0, switch: 100 });
});

test('formatPhases lists the recorded phases in their order, in seconds, with their sum', () => {
  assert.equal(formatPhases({ health: 250, queue: 0, start: 1234 }), 'queue 0.00 s, start 1.23 s, health 0.25 s (sum 1.48 s)');
  assert.equal(formatPhases({}), '-');
  assert.equal(formatPhases(undefined), '-');
});
