import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPassword, checkRole, checkTeamName, checkUserName } from '../../../src/auth/names.js';
import { membershipChangeAllowed } from '../../../src/auth/teams.js';
import { hashPassword, verifyPassword } from '../../../src/auth/users.js';
import { may } from '../../../src/auth/access.js';

test('team and user names: lowercase, digits, single dashes; clear messages otherwise', () => {
  for (const ok of ['main', 'payments', 'team-a', 'a1']) assert.equal(checkTeamName(ok), ok);
  for (const bad of ['A', 'Bad_Name', '-x', 'x-', 'a--b', '1abc', 'a'.repeat(31), '', '../etc', 'a b']) {
    assert.throws(() => checkTeamName(bad), /not a valid team name: use 2 to 30 lowercase/, bad);
  }
  assert.equal(checkUserName('alice'), 'alice');
  assert.throws(() => checkUserName('Alice'), /not a valid user name/);
});

test('roles and passwords are checked', () => {
  assert.equal(checkRole('viewer'), 'viewer');
  assert.throws(() => checkRole('root'), /use one of owner, admin, member, viewer/);
  assert.throws(() => checkPassword('short'), /8 to 200/);
});

test('membership changes: owners and admins only; only owners touch the owner role', () => {
  assert.equal(membershipChangeAllowed('owner', null, 'owner'), null);
  assert.equal(membershipChangeAllowed('admin', null, 'member'), null);
  assert.match(membershipChangeAllowed('admin', 'owner', null)!, /only owners/);
  assert.match(membershipChangeAllowed('admin', null, 'owner')!, /only owners/);
  assert.match(membershipChangeAllowed('member', null, 'viewer')!, /only owners and admins/);
  assert.match(membershipChangeAllowed('viewer', null, 'viewer')!, /only owners and admins/);
  assert.match(membershipChangeAllowed(null, null, 'viewer')!, /only owners and admins/);
});

test('the role matrix: viewers read only, members cannot destroy', () => {
  assert.deepEqual(
    (['read', 'deploy', 'manage', 'destroy'] as const).map((a) => may('viewer', a)),
    [true, false, false, false],
  );
  assert.deepEqual(
    (['read', 'deploy', 'manage', 'destroy'] as const).map((a) => may('member', a)),
    [true, true, true, false],
  );
  assert.equal(may(null, 'read'), false);
});

test('scrypt password hashes verify the right password only and never contain it', async () => {
  const h = await hashPassword('correct horse battery');
  assert.match(h, /^scrypt\$16384\$8\$1\$/);
  assert.ok(!h.includes('correct'));
  assert.equal(await verifyPassword('correct horse battery', h), true);
  assert.equal(await verifyPassword('wrong horse battery', h), false);
  assert.equal(await verifyPassword('x', 'garbage'), false);
  assert.notEqual(await hashPassword('correct horse battery'), h, 'salted');
});
