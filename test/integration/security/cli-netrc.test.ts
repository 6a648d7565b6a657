// Issue #14 item 10 with the real CLI against the real platform: `yb login` and `yb logout` on a ~/.netrc
// (HOME set to a temp dir) that holds comments, a macdef macro, other machines and a `default` entry change
// only this API's entry; after logout the file is byte for byte what it was.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPlatform, type Platform } from '../../helpers/platform.js';
import { ybAs } from '../auth/as-user.js';

let p: Platform;

before(async () => {
  p = await startPlatform();
});

after(async () => {
  await p?.stop();
});

const NETRC = [
  '# personal netrc, shared with curl and ftp',
  'machine github.com',
  '\tlogin octo',
  '\tpassword ghp_keepme',
  '',
  'machine ftp.example.org login anonymous password me@example.org',
  'macdef init',
  'binary',
  'machine looks.like.an.entry login but-is password macro-text',
  '',
  '# fallback for every other host',
  'default',
  '  login anonymous',
  '  password guest@',
  '',
].join('\n');

test('yb login and yb logout keep every other byte of ~/.netrc', async () => {
  const home = mkdtempSync(join(p.dataDir, 'home-'));
  const path = join(home, '.netrc');
  writeFileSync(path, NETRC, { mode: 0o600 });
  const machine = new URL(p.apiUrl).host;

  const login = await ybAs(p, null, ['login', '--token', p.token], { home });
  assert.equal(login.code, 0, login.stderr);
  const during = readFileSync(path, 'utf8');
  assert.ok(during.includes(`machine ${machine}`), during);
  assert.ok(during.indexOf(`machine ${machine}`) < during.indexOf('\ndefault\n'), 'the new entry precedes default');
  assert.ok(during.includes('macdef init\nbinary\nmachine looks.like.an.entry login but-is password macro-text\n\n'), 'the macro is intact');
  const who = await ybAs(p, null, ['whoami'], { home });
  assert.equal(who.stdout.trim(), 'admin', `the saved token works: ${who.stderr}`);

  const again = await ybAs(p, null, ['login', '--token', p.token], { home });
  assert.equal(again.code, 0, again.stderr);
  assert.equal(readFileSync(path, 'utf8'), during, 'logging in again changes nothing');

  const logout = await ybAs(p, null, ['logout'], { home });
  assert.equal(logout.code, 0, logout.stderr);
  assert.match(logout.stdout, /Logged out of/);
  assert.equal(readFileSync(path, 'utf8'), NETRC, 'byte for byte the file before yb login');
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const second = await ybAs(p, null, ['logout'], { home });
  assert.match(second.stdout, /No saved token for this API/);
  assert.equal(readFileSync(path, 'utf8'), NETRC);
  const anon = await ybAs(p, null, ['whoami'], { home });
  assert.equal(anon.code, 3, 'no token after logout (the default entry is not taken for this API)');
});
