// Issue #14: a Dockerfile may not make the engine fetch from the network (ADD <url>, a frontend image), and its cache
// mounts are confined to the app's own ids. Every form the engine's parser accepts is tried.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addFetchProblem, confineDockerfileText, confineMount, csvFields } from '../../../src/build/dockerfile-guard.js';
import { dockerfileInstructions, leadingFlags, splitInstruction } from '../../../src/build/dockerfile.js';

const refused = (text: string, message: RegExp) =>
  assert.throws(
    () => confineDockerfileText(text, 'yb-i-app'),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, 'YB_ERR_BUILD_FAILED');
      assert.match(err.message, message);
      return true;
    },
    text,
  );

test('ADD from a URL is refused with the line, in every spelling', () => {
  const url = /^Dockerfile line (\d+): ADD from a URL is not allowed; download it in a RUN step or COPY it from the source$/;
  for (const add of [
    'ADD http://169.254.169.254/latest/meta-data/ /x',
    'add https://127.0.0.1:5050/ /x',
    'Add --chown=1:1 http://h/x /x',
    'ADD --checksum=sha256:abc https://h/x /x',
    'ADD ["http://127.0.0.1/x", "/x"]',
    'ADD ["http\\u003a//127.0.0.1/x", "/x"]',
    'ADD "http://h/x" /x',
    "ADD 'http://h/x' /x",
    'ADD h\\ttp:\\/\\/h/x /x',
    'ADD HTTP://h/x /x',
    'ADD git@github.com:a/b.git /x',
    'ADD git://h/r.git /x',
    'ADD https://h/r.git#main /x',
    'ADD local http://h/x /dir/',
    'ONBUILD ADD http://127.0.0.1/x /x',
    'onbuild  add http://h/ /x',
  ]) {
    refused(`FROM base\n${add}\n`, url);
    assert.equal(
      /line (\d+)/.exec(
        (() => {
          try {
            confineDockerfileText(`FROM base\n\n${add}\n`, 's');
          } catch (e) {
            return (e as Error).message;
          }
          return '';
        })(),
      )?.[1],
      '3',
    );
  }
  refused('FROM base\nAD\\\nD http://127.0.0.1/x /x\n', /^Dockerfile line 2: ADD from a URL/);
  refused('FROM base\nADD \\\n  # a comment\n  http://127.0.0.1/x /x\n', /^Dockerfile line 2: ADD from a URL/);
  refused('# escape=`\nFROM base\nADD `\n http:``//127.0.0.1/x /x\n', /^Dockerfile line 3: ADD from a URL/);
  assert.throws(() => confineDockerfileText('FROM base\nADD http://h/x /x\n', 's', 'deploy/Dockerfile.prod'), {
    message: /^deploy\/Dockerfile\.prod line 2: /,
  });
});

test('ADD with a variable in a source is refused (an ARG or ENV could hold a URL); in a flag it is fine', () => {
  for (const add of ['ADD $URL /x', 'ADD ${URL} /x', 'ADD ["$URL", "/x"]', 'ADD a$B /x'])
    refused(
      `FROM base\nARG URL=http://127.0.0.1/\n${add}\n`,
      /^Dockerfile line 3: ADD with a variable in its source is not allowed \(it could name a URL\); name the file, or COPY it from the source$/,
    );
  assert.doesNotThrow(() =>
    confineDockerfileText('FROM base\nADD --chown=$USER app.tar.gz /app/\nADD ./src /src\nCOPY . /app\nRUN curl http://example.com/\n', 's'),
  );
});

test('local ADD, COPY and RUN with URLs pass unchanged', () => {
  const text =
    'FROM base\nADD app.tgz /app/\nADD ["a b", "/c"]\nCOPY --from=build /x /x\nRUN echo http://x/ > /u\n# ADD http://in-a-comment/ /x\nLABEL url=http://x/\n';
  assert.equal(confineDockerfileText(text, 's'), text);
  assert.equal(addFetchProblem('--chmod=644 file.txt /x', '\\'), undefined);
});

test('a syntax directive (frontend image) is refused; an escape directive only on the first line', () => {
  refused('# syntax=docker/dockerfile:1\nFROM base\n', /^Dockerfile line 1: a "# syntax=" directive is not allowed/);
  refused('#SYNTAX = local/frontend\nFROM base\n', /^Dockerfile line 1: a "# syntax=" directive/);
  refused('# escape=\\\n# syntax=x\nFROM base\n', /^Dockerfile line 2: a "# syntax=" directive/);
  refused('# check=skip=all\n# escape=`\nFROM base\n', /^Dockerfile line 2: the escape directive must be the first line of the file$/);
  assert.doesNotThrow(() => confineDockerfileText('FROM base\n# syntax=later/is/a/comment\n', 's'));
});

test('CSV fields of a --mount value, as encoding/csv reads one record', () => {
  assert.deepEqual(csvFields('type=cache,target=/a'), ['type=cache', 'target=/a']);
  assert.deepEqual(csvFields('"type=cache","target=/a,b","id=a""b"'), ['type=cache', 'target=/a,b', 'id=a"b']);
  assert.equal(csvFields('id=""""'), undefined, 'a quote inside an unquoted field');
  assert.deepEqual(csvFields('a,,b'), ['a', '', 'b']);
  assert.equal(csvFields('a"b'), undefined);
  assert.equal(csvFields('"open'), undefined);
});

test('cache mounts get an id of the scope; other mounts are unchanged', () => {
  const a = confineMount('type=cache,target=/root/.npm', 'yb-i-one');
  assert.equal(a.cache, true);
  assert.match(a.value, /^type=cache,target=\/root\/\.npm,id=yb-i-one-[0-9a-f]{16}$/);
  assert.notEqual(confineMount('type=cache,target=/root/.npm', 'yb-i-two').value, a.value, 'another app, another id');
  assert.equal(
    confineMount('type=cache,id=/root/.npm', 'yb-i-one').value.split('id=').pop(),
    a.value.split('id=').pop(),
    'an id equal to the target is the same cache',
  );
  assert.match(
    confineMount('Type=CACHE,ID=shared,sharing=locked,target=/c', 'yb-i-one').value,
    /^Type=CACHE,sharing=locked,target=\/c,id=yb-i-one-[0-9a-f]{16}$/,
  );
  assert.match(confineMount('type=cache,target=/c,id=a,id=b', 's').value, /^type=cache,target=\/c,id=s-[0-9a-f]{16}$/, 'every id replaced');
  assert.match(confineMount('"type=cache","target=/a,b"', 's').value, /^type=cache,"target=\/a,b",id=s-/);
  for (const other of ['type=bind,target=/x', 'target=/x', 'type=secret,id=x', 'type=ssh', 'type=tmpfs,target=/t'])
    assert.deepEqual(confineMount(other, 's'), { value: other, cache: false });
  assert.throws(() => confineMount('type=$T,target=/c', 's'), /mount type must be written out/);
  assert.throws(() => confineMount('type=cache,tar"get=/c', 's'), /could not be read/);
});

test('RUN cache mounts are rewritten in place; line numbers stay; other flags and the command are untouched', () => {
  const text = [
    'FROM base',
    'run --mount=type=cache,target=/root/.npm \\',
    '    --mount=type=bind,target=/src \\',
    '    # a comment',
    '    npm ci',
    'RUN --network=default --mount="type=cache,target=/a b" ["sh", "-c", "ls"]',
    'ONBUILD RUN --mount=type=cache,target=/c make',
    'RUN echo --mount=type=cache,target=/not-a-flag',
    'CMD ["x"]',
  ].join('\n');
  const out = confineDockerfileText(text, 'yb-i-app');
  const lines = out.split('\n');
  assert.equal(lines.length, 9);
  assert.match(lines[1]!, /^run --mount=type=cache,target=\/root\/\.npm,id=yb-i-app-[0-9a-f]{16} {5}--mount=type=bind,target=\/src {5}npm ci$/);
  assert.deepEqual(lines.slice(2, 5), ['', '', '']);
  assert.match(lines[5]!, /^RUN --network=default --mount='type=cache,"target=\/a b",id=yb-i-app-[0-9a-f]{16}' \["sh", "-c", "ls"\]$/);
  assert.match(lines[6]!, /^ONBUILD RUN --mount=type=cache,target=\/c,id=yb-i-app-[0-9a-f]{16} make$/);
  assert.equal(lines[7], 'RUN echo --mount=type=cache,target=/not-a-flag');
  // Read back as the engine would: the quoted flag is one word with the CSV value it was given.
  const quoted = splitInstruction(dockerfileInstructions(out)[2]!.text);
  assert.match(leadingFlags(quoted.rest).flags[1]!.word, /^--mount=type=cache,"target=\/a b",id=yb-i-app-/);
  // An id written to look like another app's (yb-i-app-x is not under yb-i-app) is hashed like any other.
  assert.doesNotMatch(confineMount('type=cache,id=yb-i-app-x-0123456789abcdef', 'yb-i-app').value, /id=yb-i-app-x-/);
  refused('FROM base\nRUN --mount=type=$T,target=/c ls\n', /^Dockerfile line 2: RUN --mount: the mount type must be written out/);
});

test('CRLF files keep their line ends', () => {
  const out = confineDockerfileText('FROM base\r\nRUN --mount=type=cache,target=/c \\\r\n  ls\r\nCMD x\r\n', 's');
  assert.match(out, /^FROM base\r\nRUN --mount=type=cache,target=\/c,id=s-[0-9a-f]{16} {3}ls\r\n\r\nCMD x\r\n$/);
});
