import { test } from 'node:test';
import assert from 'node:assert/strict';
import { branchOfRef, branchSlug, checkBranch, MAX_REVIEW_NAME, reviewAppNames } from '../../../src/pipelines/review-names.js';
import { checkAppName } from '../../../src/release/names.js';
import { checkServiceName } from '../../../src/services/bindings.js';

test('main and master deploy the app itself; other branches are review branches', () => {
  assert.equal(branchOfRef('refs/heads/main'), null);
  assert.equal(branchOfRef('refs/heads/master'), null);
  assert.equal(branchOfRef('refs/tags/v1'), null);
  assert.equal(branchOfRef('refs/heads/feature/x'), 'feature/x');
  assert.equal(branchOfRef('refs/heads/Main'), 'Main');
});

test('a clean short branch gives <parent>-<branch>', () => {
  assert.deepEqual(reviewAppNames('web', 'login')[0], 'web-login');
});

test('hostile branch names give valid, bounded names that are never the parent and differ from each other', () => {
  const hostile = [
    '../x',
    'a'.repeat(250),
    'функция-вход',
    '日本語',
    'MAIN',
    'main ',
    'mаin', // Cyrillic а
    'feature/X',
    'feature-x',
    'x&app=prod#y',
    '-',
    'web',
    '..',
    'release/2024.01',
  ];
  const seen = new Map<string, string>();
  for (const branch of hostile) {
    for (const parent of ['web', 'a'.repeat(30), 'shop-api']) {
      const names = reviewAppNames(parent, branch);
      assert.ok(names.length >= 1);
      for (const name of names) {
        assert.equal(checkAppName(name), name, `${parent} ${branch}`);
        assert.ok(name.length <= MAX_REVIEW_NAME, name);
        assert.notEqual(name, parent);
        for (const kind of ['postgres', 'redis', 'mysql']) checkServiceName(`${name}-${kind}`);
      }
      const last = names.at(-1)!;
      const key = `${parent}:${last}`;
      assert.ok(!seen.has(key) || seen.get(key) === branch, `${branch} and ${seen.get(key)} share ${last}`);
      seen.set(key, branch);
    }
  }
  // A branch that is not already a clean slug never takes the plain name another branch would get.
  assert.equal(reviewAppNames('web', 'Feature-X').length, 1);
  assert.notEqual(reviewAppNames('web', 'Feature-X')[0], 'web-feature-x');
});

test('branch checks follow git and bound the length', () => {
  assert.equal(checkBranch('feature/x'), 'feature/x');
  for (const bad of ['', '../x', 'a..b', 'x.lock', '-x', 'a b', 'a\u0000b', 'a:b', `x${'y'.repeat(300)}`, 'main', 'a//b', 'a/'])
    assert.throws(() => checkBranch(bad), /not a branch name git accepts|deploys the app itself/, JSON.stringify(bad));
  assert.equal(branchSlug('Feature/Über_Login'), 'feature-ber-login');
});
