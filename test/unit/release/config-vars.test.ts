import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyConfigPatch, describeConfigChange, parseAssignments } from '../../../src/release/config-vars.js';
import { YbError } from '../../../src/shared/errors.js';

test('sets, changes and unsets vars without touching the input', () => {
  const cur = Object.freeze({ A: '1', B: '2' });
  const r = applyConfigPatch(cur, { A: '1', B: null, C: '3' });
  assert.deepEqual(r.vars, { A: '1', C: '3' });
  assert.deepEqual(r.changed.sort(), ['B', 'C']);
  assert.deepEqual(cur, { A: '1', B: '2' });
});

test('an unset of a missing var changes nothing', () => {
  assert.deepEqual(applyConfigPatch({ A: '1' }, { Z: null }).changed, []);
});

test('rejects invalid names and oversized values', () => {
  assert.throws(
    () => applyConfigPatch({}, { '1BAD': 'x' }),
    (e: unknown) => e instanceof YbError && e.code === 'YB_ERR_INVALID_NAME',
  );
  assert.throws(() => applyConfigPatch({}, { 'A-B': 'x' }), YbError);
  assert.throws(() => applyConfigPatch({}, { BIG: 'x'.repeat(40000) }), /longer than/);
});

test('describes changes like Heroku', () => {
  assert.equal(describeConfigChange({ A: '1', B: '2' }), 'Set A, B config vars');
  assert.equal(describeConfigChange({ A: null }), 'Remove A config vars');
});

test('parses KEY=VALUE with = inside values', () => {
  assert.deepEqual(parseAssignments(['A=1', 'URL=postgres://u:p@h/db?x=y', 'EMPTY=']), { A: '1', URL: 'postgres://u:p@h/db?x=y', EMPTY: '' });
  assert.throws(() => parseAssignments(['NOEQUALS']), /not KEY=VALUE/);
  assert.throws(() => parseAssignments(['=x']), /not KEY=VALUE/);
});
