import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProcfile, parseReleaseYaml } from '../../../src/release/procfile.js';

test('parses process types and commands, ignoring comments and blank lines', () => {
  const r = parseProcfile('# comment\nweb: node server.js --port $PORT\n\nworker:   node worker.js\nrelease: node migrate.js\n');
  assert.deepEqual(r.processes, { web: 'node server.js --port $PORT', worker: 'node worker.js', release: 'node migrate.js' });
  assert.deepEqual(r.errors, []);
});

test('keeps colons inside commands', () => {
  assert.deepEqual(parseProcfile('web: bash -c "echo a:b"').processes, { web: 'bash -c "echo a:b"' });
});

test('reports malformed lines with their line number', () => {
  const r = parseProcfile('web: ok\nthis is not a process\n1web: x\nweb: again');
  assert.equal(r.errors.length, 3);
  assert.match(r.errors[0]!, /line 2/);
  assert.match(r.errors[1]!, /line 3.*start with a letter/);
  assert.match(r.errors[2]!, /line 4.*defined twice/);
});

test('handles CRLF Procfiles', () => {
  assert.deepEqual(parseProcfile('web: a\r\nworker: b\r\n').processes, { web: 'a', worker: 'b' });
});

test('parses default_process_types from bin/release YAML', () => {
  const yaml = '---\naddons: []\ndefault_process_types:\n  web: npm start\n  worker: "node w.js"\nconfig_vars:\n  X: y\n';
  assert.deepEqual(parseReleaseYaml(yaml), { web: 'npm start', worker: 'node w.js' });
  assert.deepEqual(parseReleaseYaml('--- {}\n'), {});
});
