import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNetrc, machineOf } from '../../../src/cli/credentials.js';

test('parses netrc entries on one or several lines', () => {
  const entries = parseNetrc('machine a.example login me password p1\nmachine 127.0.0.1:5050\n  login yb\n  password yb_tok\ndefault login x password y\n');
  assert.deepEqual(entries, [
    { machine: 'a.example', login: 'me', password: 'p1' },
    { machine: '127.0.0.1:5050', login: 'yb', password: 'yb_tok' },
    { machine: '', login: 'x', password: 'y' },
  ]);
});

test('the netrc machine of an API URL is host:port', () => {
  assert.equal(machineOf('http://127.0.0.1:5050'), '127.0.0.1:5050');
});
