// The CLI's ~/.netrc handling (issue #14 item 10): log-in and log-out change only the entry of this API's
// machine; comments, macdef macros, `default`, other machines and layout survive byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNetrc, machineOf, saveToken, removeToken, apiToken } from '../../../src/cli/credentials.js';
import { removeNetrcEntry, setNetrcEntry } from '../../../src/cli/netrc.js';

const plain = (text: string) => parseNetrc(text).map((e) => ({ machine: e.machine, login: e.login, password: e.password }));

test('parses netrc entries on one or several lines', () => {
  assert.deepEqual(plain('machine a.example login me password p1\nmachine 127.0.0.1:5050\n  login yb\n  password yb_tok\ndefault login x password y\n'), [
    { machine: 'a.example', login: 'me', password: 'p1' },
    { machine: '127.0.0.1:5050', login: 'yb', password: 'yb_tok' },
    { machine: '', login: 'x', password: 'y' },
  ]);
});

test('comments, quoted values and macdef bodies are not read as entries', () => {
  const text = [
    '# machine evil login x password y',
    'machine ftp.example login anon password "with space" # trailing',
    'macdef init',
    'machine inside the macro login no password no',
    'cd /pub',
    '',
    'machine b.example login bee password "q\\"uote"',
  ].join('\n');
  assert.deepEqual(plain(text), [
    { machine: 'ftp.example', login: 'anon', password: 'with space' },
    { machine: 'b.example', login: 'bee', password: 'q"uote' },
  ]);
});

test('the netrc machine of an API URL is host:port', () => {
  assert.equal(machineOf('http://127.0.0.1:5050'), '127.0.0.1:5050');
});

const RICH = [
  '# my netrc: keep this comment',
  'machine github.com',
  '\tlogin octo',
  '\tpassword ghp_keepme',
  '',
  'machine ftp.example.org login anonymous password me@example.org',
  'macdef init',
  'binary',
  'machine not.an.entry login nope password nope',
  '',
  '# after the macro',
  'default',
  '  login anonymous',
  '  password guest@',
  '',
].join('\n');

function tempNetrc(text: string): { path: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'yb-netrc-'));
  const path = join(dir, '.netrc');
  writeFileSync(path, text, { mode: 0o600 });
  process.env.NETRC = path;
  return {
    path,
    done: () => {
      delete process.env.NETRC;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

test('login then logout on a real file gives back the same bytes; the entry goes before default', () => {
  const f = tempNetrc(RICH);
  const oldToken = process.env.YB_API_TOKEN;
  delete process.env.YB_API_TOKEN;
  try {
    saveToken('http://127.0.0.1:5050', 'alice', 'yb_first');
    let text = readFileSync(f.path, 'utf8');
    assert.equal(apiToken('http://127.0.0.1:5050'), 'yb_first');
    assert.ok(text.indexOf('machine 127.0.0.1:5050') < text.indexOf('default'), 'the new machine precedes default');
    assert.ok(text.includes('macdef init\nbinary\nmachine not.an.entry login nope password nope\n\n'), 'the macro is intact');
    assert.deepEqual(
      plain(text).map((e) => e.machine),
      ['github.com', 'ftp.example.org', '127.0.0.1:5050', ''],
    );
    saveToken('http://127.0.0.1:5050', 'alice', 'yb_second'); // log in again: replaced in place
    text = readFileSync(f.path, 'utf8');
    assert.equal(apiToken('http://127.0.0.1:5050'), 'yb_second');
    assert.equal(text.split('127.0.0.1:5050').length, 2, 'one entry');
    assert.equal(removeToken('http://127.0.0.1:5050'), true);
    assert.equal(readFileSync(f.path, 'utf8'), RICH, 'byte for byte the original');
    assert.equal(statSync(f.path).mode & 0o777, 0o600);
    assert.equal(removeToken('http://127.0.0.1:5050'), false);
    assert.equal(readFileSync(f.path, 'utf8'), RICH);
  } finally {
    if (oldToken !== undefined) process.env.YB_API_TOKEN = oldToken;
    f.done();
  }
});

test('an existing entry is edited in place, one-line or several, keeping its other fields', () => {
  const one = 'machine a login x password y account z\nmachine h:1 login old password tok # mine\nmachine c login c password c\n';
  assert.equal(
    setNetrcEntry(one, 'h:1', 'new', 'yb_t'),
    'machine a login x password y account z\nmachine h:1 login new password yb_t # mine\nmachine c login c password c\n',
  );
  assert.equal(setNetrcEntry('machine h:1\n  password old\n', 'h:1', 'bob', 'yb_t'), 'machine h:1\n  password yb_t login bob\n');
  assert.equal(setNetrcEntry('', 'h:1', 'bob', 'yb_t'), 'machine h:1\n  login bob\n  password yb_t\n');
  assert.equal(
    setNetrcEntry('machine a login b password c', 'h:1', 'bob', 'yb_t'),
    'machine a login b password c\nmachine h:1\n  login bob\n  password yb_t\n',
  );
});

test('a macro at the end of the file is closed before a new entry, so the entry is not swallowed', () => {
  const text = 'machine a login b password c\nmacdef init\nbinary';
  const out = setNetrcEntry(text, 'h:1', 'bob', 'yb_t');
  assert.ok(out.startsWith(text));
  assert.deepEqual(
    plain(out).map((e) => e.machine),
    ['a', 'h:1'],
  );
  assert.equal(removeNetrcEntry(out, 'h:1'), `${text}\n\n`);
});

test('removing takes only the entry: shared lines keep their other entries, default is never removed', () => {
  assert.equal(removeNetrcEntry('machine a login b password c machine h:1 login x password y\n', 'h:1'), 'machine a login b password c \n');
  assert.equal(removeNetrcEntry('machine h:1 login x password y machine a login b password c\n', 'h:1'), 'machine a login b password c\n');
  assert.equal(removeNetrcEntry('default login x password y\n', ''), null);
  assert.equal(removeNetrcEntry('machine a login b\n', 'h:1'), null);
});
