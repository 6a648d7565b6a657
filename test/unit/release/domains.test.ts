import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkDomain } from '../../../src/release/domains.js';

test('host names are normalised and wildcards allowed for one label', () => {
  assert.equal(checkDomain('WWW.Example.com.'), 'www.example.com');
  assert.equal(checkDomain('*.apps.example.com'), '*.apps.example.com');
  assert.equal(checkDomain('localhost'), 'localhost');
});

test('bad host names are refused with a clear message', () => {
  for (const bad of ['', 'a..b', '-a.com', 'a-.com', '*.com', 'a.*.com', 'under_score.com', 'x'.repeat(64) + '.com', '1.2.3.4', 'spaces here.com', 'a/b.com']) {
    assert.throws(() => checkDomain(bad), /not a valid domain/, bad);
  }
});
