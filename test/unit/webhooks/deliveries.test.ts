// Webhook deliveries (webhooks/deliveries.ts): each provider's signature scheme over the raw body, the push a payload
// describes, repository matching, replay detection and the bounded list of deliveries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import {
  type Delivery,
  KEPT_REFUSED,
  KEPT_VERIFIED,
  deliveryOf,
  isReplay,
  namesRepository,
  readPush,
  repositoryKey,
  signatureProblem,
  withDelivery,
} from '../../../src/webhooks/deliveries.js';

const SECRET = 'a'.repeat(64);
const body = Buffer.from('{"ref":"refs/heads/main"}');
const hex = (s: string, b: Buffer) => createHmac('sha256', s).update(b).digest('hex');

test('GitHub: X-Hub-Signature-256 over the raw body; missing, wrong, other-secret and altered-body signatures refused', () => {
  const h = (sig?: string) => ({ 'x-github-event': 'push', ...(sig === undefined ? {} : { 'x-hub-signature-256': sig }) });
  assert.equal(signatureProblem('github', h(`sha256=${hex(SECRET, body)}`), body, SECRET), undefined);
  assert.equal(signatureProblem('github', h(`SHA256=${hex(SECRET, body).toUpperCase()}`), body, SECRET), undefined);
  assert.equal(signatureProblem('github', h(), body, SECRET)?.status, 401);
  assert.equal(signatureProblem('github', h(`sha256=${hex('other', body)}`), body, SECRET)?.status, 401);
  assert.equal(signatureProblem('github', h(`sha256=${hex(SECRET, body)}`), Buffer.from(`${body} `), SECRET)?.status, 401);
  assert.equal(signatureProblem('github', h(hex(SECRET, body)), body, SECRET)?.status, 401, 'the sha256= prefix is part of it');
  assert.equal(signatureProblem('github', { 'x-hub-signature-256': `sha256=${hex(SECRET, body)}` }, body, SECRET)?.status, 400, 'no event header');
});

test('Gitea: X-Gitea-Signature (hex HMAC-SHA256); GitLab: X-Gitlab-Token equal to the secret', () => {
  assert.equal(signatureProblem('gitea', { 'x-gitea-event': 'push', 'x-gitea-signature': hex(SECRET, body) }, body, SECRET), undefined);
  assert.equal(signatureProblem('gitea', { 'x-gitea-event': 'push', 'x-gitea-signature': hex('x', body) }, body, SECRET)?.status, 401);
  assert.equal(signatureProblem('gitea', { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hex(SECRET, body)}` }, body, SECRET)?.status, 400);
  assert.equal(signatureProblem('gitlab', { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': SECRET }, body, SECRET), undefined);
  assert.equal(signatureProblem('gitlab', { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': `${SECRET}x` }, body, SECRET)?.status, 401);
  assert.equal(signatureProblem('gitlab', { 'x-gitlab-event': 'Push Hook' }, body, SECRET)?.status, 401);
});

test('delivery ids from each provider, the body digest standing in when there is none', () => {
  assert.equal(deliveryOf('github', { 'x-github-event': 'push', 'x-github-delivery': 'g-1' }, body).id, 'g-1');
  assert.equal(deliveryOf('gitea', { 'x-gitea-event': 'push', 'x-gitea-delivery': 'e-1' }, body).id, 'e-1');
  assert.equal(deliveryOf('gitlab', { 'x-gitlab-event': 'Push Hook', 'x-gitlab-event-uuid': 'l-1' }, body).id, 'l-1');
  const d = deliveryOf('gitlab', { 'x-gitlab-event': 'Push Hook' }, body);
  assert.equal(d.id, d.digest);
  assert.equal(d.event, 'Push Hook');
});

const C = 'f57bb0b934ba256c36b8737011ff04c76e675210';
test('readPush: the configured branch is deployed; other branches, tags, deletions and other events ignored; bad payloads refused', () => {
  const repo = { clone_url: 'https://git.example.com/acme/shop.git', html_url: 'https://git.example.com/acme/shop' };
  assert.deepEqual(readPush('github', 'push', { ref: 'refs/heads/main', after: C, repository: repo }, 'main'), {
    kind: 'push',
    branch: 'main',
    commit: C,
    repositories: [repo.clone_url, repo.html_url],
  });
  assert.equal(readPush('github', 'ping', {}, 'main').kind, 'ping');
  assert.equal(readPush('github', 'issues', {}, 'main').kind, 'ignore');
  assert.equal(readPush('github', 'push', { ref: 'refs/heads/dev', after: C }, 'main').kind, 'ignore');
  assert.equal(readPush('github', 'push', { ref: 'refs/tags/v1', after: C }, 'main').kind, 'ignore');
  assert.equal(readPush('github', 'push', { ref: 'refs/heads/main', after: '0'.repeat(40), deleted: true }, 'main').kind, 'ignore');
  assert.equal(readPush('gitea', 'push', { ref: 'refs/heads/main', after: '0'.repeat(40) }, 'main').kind, 'ignore');
  assert.equal(readPush('gitlab', 'Push Hook', { ref: 'refs/heads/main', after: C, project: { git_http_url: 'x' } }, 'main').kind, 'push');
  assert.equal(readPush('gitlab', 'Tag Push Hook', { ref: 'refs/tags/v1', after: C }, 'main').kind, 'ignore');
  assert.equal(readPush('github', 'push', { ref: 'refs/heads/main', after: 'HEAD; rm -rf /' }, 'main').kind, 'bad');
  assert.equal(readPush('github', 'push', [1, 2], 'main').kind, 'ignore', 'an array has no ref');
  assert.equal(readPush('github', 'push', null, 'main').kind, 'bad');
});

test('repository matching ignores scheme, credentials, .git and case, never host or path', () => {
  assert.equal(repositoryKey('https://tok@Git.Example.com/Acme/Shop.git/'), 'git.example.com/acme/shop');
  assert.equal(repositoryKey('git@git.example.com:acme/shop.git'), 'git.example.com/acme/shop');
  const mine = 'https://bot:tok@git.example.com/acme/shop.git';
  assert.ok(namesRepository(mine, ['https://git.example.com/acme/shop']));
  assert.ok(namesRepository(mine, ['x', 'git@git.example.com:acme/shop.git']));
  assert.ok(!namesRepository(mine, ['https://git.example.com/acme/shop-fork.git']));
  assert.ok(!namesRepository(mine, ['https://evil.example/acme/shop.git']));
  assert.ok(!namesRepository(mine, []));
});

const entry = (id: string, verified: boolean): Delivery => ({
  id,
  digest: `d-${id}`,
  at: '',
  provider: 'github',
  event: 'push',
  status: 202,
  outcome: 'accepted',
  message: '',
  verified,
});

test('replays are found by id or body among verified deliveries only; refused ones cannot push verified ones out', () => {
  let list: Delivery[] = [];
  list = withDelivery(list, entry('a', true));
  assert.ok(isReplay(list, 'a', 'other'));
  assert.ok(isReplay(list, 'new-id', 'd-a'), 'the same signed body under a new delivery id');
  assert.ok(!isReplay(list, 'b', 'd-b'));
  list = withDelivery(list, entry('r', false));
  assert.ok(!isReplay(list, 'r', 'd-r'), 'an unsigned delivery does not block a later signed one');
  for (let i = 0; i < KEPT_REFUSED * 3; i++) list = withDelivery(list, entry(`junk-${i}`, false));
  assert.ok(isReplay(list, 'a', 'x'), 'still remembered after a flood of refused deliveries');
  assert.equal(list.filter((d) => !d.verified).length, KEPT_REFUSED);
  for (let i = 0; i < KEPT_VERIFIED + 5; i++) list = withDelivery(list, entry(`v-${i}`, true));
  assert.equal(list.filter((d) => d.verified).length, KEPT_VERIFIED);
});
