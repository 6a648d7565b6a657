// The install test's reading of unit files (test/helpers/systemd-unit.ts) against systemd.syntax(7) and
// systemd.service(5): quoting, escapes, variable expansion, repeated and reset keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandCommand, parseEnvFile, parseUnitFile, splitWords } from '../../helpers/systemd-unit.js';

test('words split on whitespace; quotes group, backslashes escape', () => {
  assert.deepEqual(splitWords(`/bin/x a "b c" 'd "e"' f\\ g "h\\"i"`), ['/bin/x', 'a', 'b c', 'd "e"', 'f g', 'h"i']);
  assert.deepEqual(splitWords('A=1 "B=two words"'), ['A=1', 'B=two words']);
  assert.throws(() => splitWords('"open'), /unbalanced/);
});

test('${VAR} expands inside a word, a lone $VAR splits into words, $$ is a dollar', () => {
  const env = { PORT: '2379', ARGS: '--a  --b' };
  assert.deepEqual(expandCommand(['--url=http://h:${PORT}', '$ARGS', 'cost$$'], env), ['--url=http://h:2379', '--a', '--b', 'cost$']);
  assert.deepEqual(expandCommand(['$NONE', 'x${NONE}y'], {}), ['xy']);
});

test('unit files: sections, comments, continuations, repeated keys and an empty assignment resetting a list', () => {
  const u = parseUnitFile('# c\n[Service]\nEnvironment=A=1\nEnvironment=B=2\nExecStart=/bin/x \\\n  y\n; c\n[Install]\nWantedBy=m\n');
  assert.deepEqual(u.get('Service')?.get('Environment'), ['A=1', 'B=2']);
  assert.equal(u.get('Service')?.get('ExecStart')?.[0], '/bin/x    y');
  assert.deepEqual(parseUnitFile('[Service]\nEnvironment=A=1\nEnvironment=\n').get('Service')?.get('Environment'), []);
});

test('environment files: comments, quotes, spaces around =', () => {
  assert.deepEqual(parseEnvFile('# x\n; y\nA=1\nB = "two words"\nC=\'$lit\'\nD="q\\"q"\n'), { A: '1', B: 'two words', C: '$lit', D: 'q"q' });
  assert.throws(() => parseEnvFile('not a line'), /not an environment file line/);
});
