// Remote URLs and refs users give to `yb git:sync` and webhooks (git/sync.ts): only http(s) and git://, never ssh,
// local paths, file:// or transport helpers; credentials split off and never shown; refs that cannot be options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRef, isCommitId, parseRemote, redactUrl } from '../../../src/git/sync.js';

test('http(s) and git:// URLs are taken; credentials are split off and the shown URL has none', () => {
  const r = parseRemote('https://bot:s3cr%40t@git.example.com/acme/shop.git');
  assert.equal(r.shown, 'https://git.example.com/acme/shop.git');
  assert.deepEqual([r.username, r.password], ['bot', 's3cr@t']);
  assert.equal(r.url.href, 'https://git.example.com/acme/shop.git');
  assert.equal(parseRemote('git://git.example.com/shop.git').shown, 'git://git.example.com/shop.git');
  assert.equal(parseRemote('http://10.0.0.5:3000/shop').url.port, '3000');
});

test('ssh, local paths, file://, ext:: and other transports are refused in one sentence', () => {
  const refused: Array<[string, RegExp]> = [
    ['git@github.com:acme/shop.git', /ssh remote/],
    ['ssh://git@github.com/acme/shop.git', /ssh remote/],
    ['file:///etc', /uses file/],
    ['/srv/repos/shop.git', /not a URL/],
    ['../other-app.git', /not a URL/],
    ['ext::sh -c touch% /tmp/pwned', /transport helper|spaces/],
    ['ext::sh', /transport helper/],
    ['fd::17', /transport helper/],
    ['ftp://example.com/x.git', /uses ftp/],
    ['https://example.com/x.git?a=b', /query or fragment/],
    ['https://example.com/x.git#main', /query or fragment/],
    ['git://user:pw@example.com/x.git', /credentials/],
    ['https://example.com/a b', /spaces/],
    ['-uhttps://example.com/x.git', /not a URL/],
    [`https://example.com/${'a'.repeat(3000)}`, /longer than/],
  ];
  for (const [url, why] of refused) {
    assert.throws(
      () => parseRemote(url),
      (e: Error & { code?: string }) => e.code === 'YB_ERR_BAD_REQUEST' && why.test(e.message),
      url,
    );
  }
  assert.throws(
    () => parseRemote('https://bot:tok@example.com/x.git?q=1'),
    (e: Error) => !e.message.includes('tok'),
    'a refusal never shows the token',
  );
});

test('refs: branches, tags and commit ids; nothing that git could read as an option or a refspec', () => {
  for (const ref of ['main', 'release/1.x', 'v1.4.2', 'a'.repeat(40)]) assert.equal(checkRef(ref), ref);
  for (const ref of ['-uploadpack=touch', '--upload-pack=x', 'a..b', 'main:refs/heads/x', '+main', 'x.lock', 'a//b', 'a/', '', ' main', 'ma in', '^HEAD'])
    assert.throws(() => checkRef(ref), /not a git branch, tag or commit/, ref);
  assert.equal(isCommitId('f57bb0b934ba256c36b8737011ff04c76e675210'), true);
  assert.equal(isCommitId('F57BB0B'), false);
});

test('redactUrl drops user name and password, also from text that is not a URL', () => {
  assert.equal(redactUrl('https://u:p@h.example/x'), 'https://h.example/x');
  assert.equal(redactUrl('see //u:p@h/x'), 'see //h/x');
});
