// Issue #20: app.json is JSONC (comments, trailing commas) as Dokku reads it; a broken file names line and column,
// and hostile input (deep nesting, unterminated comments and strings, __proto__) neither throws nor leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lineColumn, MAX_JSONC_DEPTH, parseJsonc } from '../../../src/release/jsonc.js';
import { parseAppJson } from '../../../src/release/app-json.js';

const value = (text: string) => {
  const r = parseJsonc(text, 'app.json');
  assert.ok('value' in r, JSON.stringify(r));
  return r.value;
};
const error = (text: string) => {
  const r = parseJsonc(text, 'app.json');
  assert.ok('error' in r, `expected an error for ${JSON.stringify(text.slice(0, 80))}`);
  return r.error;
};

test('comments and trailing commas are accepted and drop out of the value', () => {
  const text = '// the app\n{\n  /* block\n  comment */ "a": [1, 2, ], // after\n  "b": {"c": "// not a comment", "d": "/* nor this */",},\n}\n';
  assert.deepEqual(value(text), { a: [1, 2], b: { c: '// not a comment', d: '/* nor this */' } });
});

test('plain JSON reads as JSON.parse reads it', () => {
  const text = JSON.stringify({ s: 'é\\n"', n: -1.5e3, t: true, f: false, z: null, a: [[], {}] });
  assert.deepEqual(value(text), JSON.parse(text));
});

test('__proto__ is an own property, as in JSON, not the object prototype', () => {
  const v = value('{"__proto__": {"polluted": 1}, }') as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
  assert.ok(Object.hasOwn(v, '__proto__'));
  assert.equal((v as { polluted?: number }).polluted, undefined);
  assert.equal(({} as { polluted?: number }).polluted, undefined);
});

test('a broken file gets one sentence naming line and column', () => {
  assert.equal(
    error('{\n  "a": 1\n  "b": 2\n}'),
    'app.json is not valid JSON (comments and trailing commas are allowed): line 3, column 3: a comma was expected',
  );
  assert.match(error('{"a": 1 /* never closed'), /line 1, column 9: a \/\* comment is never closed/);
  assert.match(error('{"a": "never closed}'), /line 1, column 7: a string is never closed/);
  assert.match(error('{"a": 1}\r\n\r\n2'), /line 3, column 1: nothing may follow the value/);
  assert.match(error('{"a": 1}\n  x'), /line 2, column 3: an unexpected character/);
  assert.match(error(''), /line 1, column 1: a value was expected/);
  assert.match(error('{"a": 1, 2}'), /line 1, column 10: a property name was expected/);
  assert.match(error("{'a': 1}"), /line 1, column 2/);
  assert.match(error('[1,,2]'), /line 1, column 4: a value was expected/);
});

test('nesting deeper than the limit is refused without recursion, whatever the size', () => {
  assert.deepEqual(
    value(`${'['.repeat(MAX_JSONC_DEPTH)}${']'.repeat(MAX_JSONC_DEPTH)}`),
    JSON.parse(`${'['.repeat(MAX_JSONC_DEPTH)}${']'.repeat(MAX_JSONC_DEPTH)}`),
  );
  assert.match(error('['.repeat(MAX_JSONC_DEPTH + 1)), new RegExp(`line 1, column ${MAX_JSONC_DEPTH + 1}: nested deeper than ${MAX_JSONC_DEPTH} levels`));
  assert.match(error(`{"a":${'{"a":'.repeat(1_000_000)}`), /nested deeper/);
  assert.match(error('[\n'.repeat(500_000)), /line 65, column 1: nested deeper/);
});

test('huge comments and long single lines parse in linear time', () => {
  const started = performance.now();
  assert.deepEqual(value(`/*${'*'.repeat(1_000_000)}*/ {"a": 1}`), { a: 1 });
  assert.deepEqual(value(`${'// x\n'.repeat(100_000)}{"a": [${'1,'.repeat(100_000)}]}`), { a: Array(100_000).fill(1) });
  assert.ok(performance.now() - started < 5_000, 'parsed within 5 s');
});

test('lineColumn counts \\n, \\r\\n and lone \\r as one line break each', () => {
  assert.deepEqual(lineColumn('a\nb\r\nc\rd', 7), { line: 4, column: 1 });
  assert.deepEqual(lineColumn('abc', 2), { line: 1, column: 3 });
});

test('app.json with comments and trailing commas yields its manifest', () => {
  const r = parseAppJson('{\n  // deploy conventions\n  "env": {"GREETING": {"value": "hi",},},\n  "formation": {"web": {"quantity": 2,},},\n}');
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.manifest.envDefaults, { GREETING: 'hi' });
  assert.equal(r.manifest.formation.web?.quantity, 2);
  assert.match(parseAppJson('{"env": {').errors[0]!, /^app\.json is not valid JSON .*line 1, column 10: a closing } was expected/);
});
