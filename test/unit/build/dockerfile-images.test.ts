// Issue #14: which images a Dockerfile names (so each is checked for ownership by id), how variables in those names
// are read, which ONBUILD triggers of a base image may run in a tenant's build, and the cache scope of an app.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imageReferences, onbuildProblem } from '../../../src/build/dockerfile-images.js';
import { cacheScope } from '../../../src/build/dockerfile-guard.js';

const refs = (text: string, args: Record<string, string> = {}) => imageReferences(text, args).map((r) => `${r.line}:${r.ref}`);

test('stage bases, COPY --from and RUN --mount from= name images; stages, indexes and scratch do not', () => {
  const text = [
    'FROM yunbang/stack:latest AS build', // 1
    'COPY --from=other/img:1 /a /b', // 2
    'RUN --mount=type=bind,from=sha256:abc,target=/x true', // 3
    'FROM build', // 4
    'COPY --from=build /a /a', // 5
    'COPY --from=0 /a /a', // 6
    'COPY --from=BUILD /a /a', // 7
    'FROM scratch', // 8
    'RUN --mount=type=cache,target=/c,FROM=abcdef123456 true', // 9
    'COPY --chown=1:1 --from="quoted/img" /a /a', // 10
    'FROM --platform=linux/amd64 x/y:2 AS later', // 11
    'COPY --from=7 /a /a', // 12: no stage 7 yet: an image named 7
    'RUN --mount="type=bind, from = spaced/img ,target=/t" true', // 13
  ].join('\n');
  assert.deepEqual(refs(text), [
    '1:yunbang/stack:latest',
    '2:other/img:1',
    '3:sha256:abc',
    '9:abcdef123456',
    '10:quoted/img',
    '11:x/y:2',
    '12:7',
    '13:spaced/img ',
  ]);
});

test('a stage defined later is no stage for an earlier reference: the name is checked as an image', () => {
  assert.deepEqual(refs('FROM a\nCOPY --from=b /x /x\nFROM c AS b\n'), ['1:a', '2:b', '3:c']);
});

test('FROM takes $NAME and ${NAME} of the global ARGs, build args over defaults; any other variable form is refused', () => {
  assert.deepEqual(refs('ARG IMG=yunbang-app/x:1\nFROM $IMG\n'), ['2:yunbang-app/x:1']);
  assert.deepEqual(refs('ARG IMG=a\nFROM ${IMG}:2\n', { IMG: 'b' }), ['2:b:2']);
  assert.deepEqual(refs('FROM ${UNSET}yunbang-app/x:1\n'), ['1:yunbang-app/x:1']);
  // An ARG inside a stage does not reach a later FROM.
  assert.deepEqual(refs('FROM a\nARG IMG=b\nFROM $IMG\n'), ['1:a']);
  for (const text of ['ARG B=\nFROM ${B:-yunbang-app/x:1}\n', 'FROM ${B:+x}\n', 'FROM ${B-x}\n', 'FROM \\$X\n']) {
    assert.throws(() => imageReferences(text, {}), { message: /^Dockerfile line \d: FROM .*only \$NAME or \$\{NAME\} of a global ARG/ }, text);
  }
});

test('a variable in --from or a mount from= is refused with the line', () => {
  for (const [text, line] of [
    ['FROM a\nARG X=yunbang-app/v:1\nCOPY --from=$X /s /s\n', 3],
    ['FROM a\nRUN --mount=type=bind,from=${X},target=/t true\n', 2],
  ] as const) {
    assert.throws(
      () => imageReferences(text, {}),
      { message: new RegExp(`^Dockerfile line ${line}: ".*": an image or stage named by a variable is not allowed here`) },
      text,
    );
  }
});

test('ONBUILD instructions of the Dockerfile itself run in a later build and are not read here', () => {
  assert.deepEqual(refs('FROM a\nONBUILD COPY --from=b /x /x\n'), ['1:a']);
});

test('ONBUILD triggers of a base image: URL fetches, other images or stages and cache mounts are refused', () => {
  for (const t of [
    'ADD http://127.0.0.1/x /x',
    'ADD ["https://h/x", "/x"]',
    'ADD $URL /x',
    'COPY --from=other/img /s /s',
    'COPY --from=0 /s /s',
    'RUN --mount=type=bind,from=x,target=/t true',
    'RUN --mount=type=cache,id=yb-i-victim-0123,target=/c true',
    'RUN --mount=type=cache,target=/c true',
    'RUN --mount="type=cache,target=/c" true',
    'RUN --mount="type = cache,target=/c" true',
    'RUN --mount="type=bind, from=x,target=/t" true',
  ]) {
    assert.ok(onbuildProblem(t), t);
  }
  for (const t of ['RUN make', 'COPY . /app', 'ADD local.tar /x', 'ENV A=b', 'RUN --mount=type=tmpfs,target=/t true'])
    assert.equal(onbuildProblem(t), undefined, t);
});

test('the cache scope of an app carries its incarnation; apps without one keep the name scope', () => {
  assert.equal(cacheScope('inst', 'web', 'a1b2'), 'yb-inst-web-a1b2');
  assert.notEqual(cacheScope('inst', 'web', 'a1b2'), cacheScope('inst', 'web', 'c3d4'));
  assert.equal(cacheScope('inst', 'web'), 'yb-inst-web');
});
