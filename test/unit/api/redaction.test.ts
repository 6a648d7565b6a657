// What viewers are shown of secrets (issue #14 item 8): masked config values, URLs without credentials.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HIDDEN_VALUE, maskConfig, redactUrl, scrub, urlSecrets } from '../../../src/api/redaction.js';

test('config: same keys, every value the marker', () => {
  assert.deepEqual(maskConfig({ A: 'x', DATABASE_URL: 'postgres://u:p@h/db', EMPTY: '' }), {
    A: HIDDEN_VALUE,
    DATABASE_URL: HIDDEN_VALUE,
    EMPTY: HIDDEN_VALUE,
  });
  assert.deepEqual(maskConfig({}), {});
});

test('URLs lose user, password, query values and fragment; host, port and path stay', () => {
  assert.equal(
    redactUrl('https://alice:s3cret@logs.example.com:8443/drain/x?token=abc123&v=1#frag'),
    'https://***:***@logs.example.com:8443/drain/x?token=***&v=***#***',
  );
  assert.equal(redactUrl('syslog+tls://logs.example.com:6514'), 'syslog+tls://logs.example.com:6514');
  assert.equal(redactUrl('https://tok3n@github.com/a/b.tgz'), 'https://***@github.com/a/b.tgz');
  assert.equal(redactUrl('https://h/p?s3cretword'), 'https://h/p?***', 'a parameter without a value may be the token itself');
  assert.equal(redactUrl('https://h/p?a=1&tok3n'), 'https://h/p?a=***&***');
  assert.ok(urlSecrets('https://h/p?tok3n').includes('tok3n'));
  assert.equal(redactUrl('not a url'), HIDDEN_VALUE);
});

test('secrets of a URL are scrubbed from free text, longest first', () => {
  const secrets = urlSecrets('https://alice:s3cret@h/p?token=abc123');
  assert.ok(secrets.includes('s3cret') && secrets.includes('abc123') && secrets.includes('alice'));
  assert.equal(scrub('POST https://alice:s3cret@h/p?token=abc123 failed: 401', secrets), 'POST https://***:***@h/p?*** failed: 401');
  assert.equal(scrub('nothing here', secrets), 'nothing here');
});
