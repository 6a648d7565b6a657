// What a starting ybd does with the stored layout version (docs/architecture.md §9): the pure decision.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planLayout, tooNewMessage } from '../../../src/store/migrations/plan.js';
import { LAYOUT_STEPS, LAYOUT_VERSION } from '../../../src/store/migrations/steps.js';

const steps = [
  { to: 1, name: 'one' },
  { to: 2, name: 'two' },
  { to: 3, name: 'three' },
];

test('an empty prefix is a fresh platform, stamped with the newest layout', () => {
  assert.deepEqual(planLayout(null, true, steps), { kind: 'fresh', version: 3 });
});

test('state without a version is layout 0 and runs every step', () => {
  assert.deepEqual(planLayout(null, false, steps), { kind: 'migrate', from: 0, steps });
});

test('an older layout runs only the steps after it, in order', () => {
  assert.deepEqual(planLayout(1, false, steps), { kind: 'migrate', from: 1, steps: steps.slice(1) });
  assert.deepEqual(planLayout(2, false, steps), { kind: 'migrate', from: 2, steps: [steps[2]] });
});

test('the current layout needs nothing', () => {
  assert.deepEqual(planLayout(3, false, steps), { kind: 'current', version: 3 });
});

test('a newer layout is refused, and the sentence says both versions and what to do', () => {
  assert.deepEqual(planLayout(4, false, steps), { kind: 'too-new', stored: 4, known: 3 });
  const msg = tooNewMessage('/yunbang/', 4, 3, 'ybd 0.1.0');
  assert.match(msg, /layout version 4/);
  assert.match(msg, /up to 3/);
  assert.match(msg, /ybd 0\.1\.0/);
  assert.ok(!msg.includes('\n') && msg.split('; ').length === 2, 'one sentence');
});

test('steps out of order are a programming error, caught before any runs', () => {
  assert.throws(() => planLayout(0, false, [{ to: 2, name: 'x' }]), /expected 1/);
});

test("the shipped steps are numbered 1..n and the newest layout is the last step's", () => {
  assert.deepEqual(
    LAYOUT_STEPS.map((s) => s.to),
    LAYOUT_STEPS.map((_, i) => i + 1),
  );
  assert.equal(LAYOUT_VERSION, LAYOUT_STEPS.length);
  assert.equal(LAYOUT_STEPS[0]!.name, 'team-images');
});
