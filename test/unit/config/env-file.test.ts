// The installed settings file (src/config/env-file.ts): every setting of the schema, assigned or at its commented
// default, in syntax systemd's EnvironmentFile= reads back to the same values (checked with the install test's parser).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { envFile, envLine } from '../../../src/config/env-file.js';
import { SETTINGS } from '../../../src/config/schema.js';
import { parseEnvFile } from '../../helpers/systemd-unit.js';

test('every setting appears once, commented out at its default unless set', () => {
  const text = envFile({ YB_DATA_DIR: '/var/lib/yunbang' });
  for (const s of Object.values(SETTINGS)) {
    const lines = text.split('\n').filter((l) => l.replace(/^#/, '').startsWith(`${s.env}=`));
    assert.equal(lines.length, 1, s.env);
  }
  assert.deepEqual(parseEnvFile(text), { YB_DATA_DIR: '/var/lib/yunbang' });
});

test('extra variables go last with their comment', () => {
  const text = envFile({}, [{ name: 'ETCD_NAME', value: 'yunbang', comment: 'etcd' }]);
  assert.match(text, /# etcd\nETCD_NAME=yunbang\n$/);
});

test('values that need it are quoted so that systemd reads them back unchanged', () => {
  for (const v of ['plain', 'a b', 'say "hi"', 'back\\slash', '$HOME', 'x=y,z:1/2', '']) {
    assert.deepEqual(parseEnvFile(envLine('YB_X', v)), { YB_X: v }, v);
  }
  assert.throws(() => envLine('YB_X', 'two\nlines'), /cannot span lines/);
});

test('a name outside the schema is refused', () => {
  assert.throws(() => envFile({ YB_NOPE: '1' }), /not settings of the schema: YB_NOPE/);
});
