'use strict';
// Unit tests of the pure parts of lib/result.js (Procfile, release YAML, metadata merging).
// Run: node --test buildpacks/test/
const test = require('node:test');
const assert = require('node:assert/strict');
const { parseProcfile, parseReleaseDefaults, mergeMetadata } = require('../lib/result.js');

test('Procfile: types and commands, comments and blank lines skipped, colons in commands kept', () => {
  const text = '# comment\nweb: gunicorn -b 0.0.0.0:$PORT app:app\r\n\nworker:  node worker.js  \nrelease:\n';
  assert.deepEqual(parseProcfile(text), { web: 'gunicorn -b 0.0.0.0:$PORT app:app', worker: 'node worker.js' });
});

test('release YAML: block form, quoted values, stops at the next top-level key', () => {
  const yaml = '---\naddons: []\ndefault_process_types:\n  web: npm start\n  worker: "node w.js --x \\"y\\""\n' + "  clock: 'it''s'\nconfig_vars:\n  A: b\n";
  assert.deepEqual(parseReleaseDefaults(yaml), { web: 'npm start', worker: 'node w.js --x "y"', clock: "it's" });
});

test('release YAML: empty or absent default_process_types', () => {
  assert.deepEqual(parseReleaseDefaults('---\ndefault_process_types: {}\n'), {});
  assert.deepEqual(parseReleaseDefaults('--- {}\n'), {});
  assert.deepEqual(parseReleaseDefaults(''), {});
});

test('metadata: later scalars win, dependencies are combined', () => {
  const merged = mergeMetadata([
    { language: 'nodejs', languageVersion: '20.1.0', dependencies: { a: '1' } },
    { language: 'python', languageVersion: '3.11.2', dependencies: { b: '2' } },
  ]);
  assert.deepEqual(merged, { language: 'python', languageVersion: '3.11.2', dependencies: { a: '1', b: '2' } });
});
