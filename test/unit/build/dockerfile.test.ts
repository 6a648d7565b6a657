// Reading a Dockerfile the way the engine's parser does (continuations, comments, escape directive, flags), and what
// inspectDockerfile takes from it: declared build args and the external images it names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dockerfileInstructions, inspectDockerfile, leadingFlags, parserDirectives, splitInstruction } from '../../../src/build/dockerfile.js';

test('continuations join with nothing between; comments and blank lines inside them are skipped', () => {
  const text = 'FROM base\nAD\\\nD http://x/ /x\n# a comment\nRUN echo a \\\n  # inside\n\n  b\\  \t\n  c\n\ncmd ["x"]\n';
  assert.deepEqual(dockerfileInstructions(text), [
    { line: 1, endLine: 1, text: 'FROM base' },
    { line: 2, endLine: 3, text: 'ADD http://x/ /x' },
    { line: 5, endLine: 9, text: 'RUN echo a   b  c' },
    { line: 11, endLine: 11, text: 'cmd ["x"]' },
  ]);
});

test('the escape directive on the first line changes the continuation character; elsewhere it is a comment', () => {
  assert.deepEqual(
    dockerfileInstructions('# escape=`\nFROM base\nRUN a `\n b\\\nRUN c\n').map((i) => i.text),
    ['FROM base', 'RUN a  b\\', 'RUN c'],
  );
  assert.deepEqual(
    dockerfileInstructions('\uFEFF# Escape = `\r\nFROM base\r\nRUN a `\r\n b\r\n').map((i) => i.text),
    ['FROM base', 'RUN a  b'],
  );
  assert.deepEqual(
    dockerfileInstructions('# hello\n# escape=`\nRUN a `\nRUN b\n').map((i) => i.text),
    ['RUN a `', 'RUN b'],
  );
  assert.deepEqual(parserDirectives('# syntax = x/y:1\n#escape=`\nFROM a\n# other=1\n'), [
    { key: 'syntax', value: 'x/y:1', line: 1 },
    { key: 'escape', value: '`', line: 2 },
  ]);
});

test('instruction keywords and leading flags are read as the engine reads them', () => {
  assert.deepEqual(splitInstruction('run\t --mount=type=cache,target=/x ls'), { keyword: 'run', rest: '--mount=type=cache,target=/x ls', restAt: 5 });
  const rest = `--mount="type=cache,target=/a b" --mount=type=bind\\,x --chown='u g' echo hi`;
  const { flags, argsAt } = leadingFlags(rest);
  assert.deepEqual(
    flags.map((f) => f.word),
    ['--mount=type=cache,target=/a b', '--mount=type=bind,x', '--chown=u g'],
  );
  assert.equal(rest.slice(argsAt), 'echo hi');
  assert.equal(rest.slice(flags[0]!.start, flags[0]!.end), '--mount="type=cache,target=/a b"');
  assert.equal(leadingFlags('-- --mount=x ls').flags.length, 0);
});

test('inspectDockerfile: args (never BUILDKIT_*), bases, and images named by COPY --from and RUN --mount from=', () => {
  const info = inspectDockerfile(
    [
      'ARG BASE=yunbang/stack',
      'ARG BUILDKIT_SYNTAX',
      'FROM $BASE AS build',
      'ARG VERSION',
      'RUN --mount=type=bind,from=tools:1,target=/t --mount=type=cache,from=build,target=/c ls',
      'FROM scratch',
      'COPY --from=build /a /a',
      'COPY --from=0 /b /b',
      'COPY --from=registry.local:5000/img /c /c',
      'copy --from=${BASE} /d /d',
    ].join('\n'),
  );
  assert.deepEqual(info.args, ['BASE', 'VERSION']);
  assert.deepEqual(info.bases, ['yunbang/stack', 'tools:1', 'registry.local:5000/img']);
});
