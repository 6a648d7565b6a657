// Issue #18 item 9, third-party catalogues: an administrator adds a git repository laid out like templates/ by URL
// (a real git http-backend on loopback, behind basic auth); it is fetched once through git/sync.ts and pinned to the
// commit. Its good template deploys through the router like a shipped one; hostile ones (a symbolic link to
// /etc/passwd, a bad template.json, a huge file) are refused in one sentence and deploy nothing. A non-admin cannot
// add or remove a catalogue, a link-local URL is refused, a catalogue cannot shadow a shipped template or another
// catalogue, the credentials are never kept, and a refresh is the only thing that moves the pin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commitAll, git, startPlatform, type Platform } from '../../helpers/platform.js';
import { ybAs } from '../auth/as-user.js';
import { startGitRemote, type GitRemote } from './git-remote.js';

const PASSWORD = 'cat-Rk29pQw7Secret';
let p: Platform;
let remote: GitRemote;
let work: string;
let src: string;
let mallory: string;

interface Catalogue {
  name: string;
  url: string;
  commit: string;
  templates: string[];
  refused: Array<{ template: string; reason: string }>;
}

const put = (path: string, text: string | Buffer) => {
  mkdirSync(join(src, path, '..'), { recursive: true });
  writeFileSync(join(src, path), text);
};
const template = (name: string, json: object, html = `<h1>${name}</h1>\n`) => {
  put(`${name}/template.json`, JSON.stringify(json));
  put(`${name}/app/index.html`, html);
};
const head = () => execFileSync('git', ['-C', src, 'rev-parse', 'HEAD']).toString().trim();
const publish = async (message: string) => {
  await commitAll(src, message);
  const r = await git(src, ['push', '-q', '--force', join(work, 'catalogue.git'), 'HEAD:main']);
  assert.equal(r.code, 0, r.output);
};
const url = (withPassword = true) => `${remote.url.replace('//', withPassword ? `//bot:${PASSWORD}@` : '//')}/git/catalogue.git`;
const catalogues = async () => JSON.parse((await p.yb(['templates:catalogues', '--json'])).stdout) as Catalogue[];
const apps = async () => (JSON.parse((await p.yb(['apps', '--json'])).stdout) as Array<{ name: string }>).map((a) => a.name);

before(async () => {
  // Loopback git server: YB_OUTBOUND_PRIVATE lets the platform reach it (link-local stays refused, tested below).
  p = await startPlatform({ YB_OUTBOUND_PRIVATE: 'true', YB_GIT_SYNC_TIMEOUT: '30' });
  work = mkdtempSync(join(tmpdir(), 'yb-catalogues-'));
  src = join(work, 'src');
  mkdirSync(src);
  await git(src, ['init', '-q', '-b', 'main']);
  put('README.md', '# A third-party catalogue\n');
  template('site', { description: 'A static site from a third-party catalogue', config: { GREETING: 'hello' } }, '<h1>catalogue site v1</h1>\n');
  template('linked', { description: 'Tries to read the platform host passwd file' });
  symlinkSync('/etc/passwd', join(src, 'linked', 'app', 'passwd'));
  template('broken', { description: 'Asks for a service kind that does not exist', services: ['mongodb'] });
  template('huge', { description: 'Holds an unpacked file larger than a template may' });
  // 60 MiB of zeros: a few hundred KiB in the pack, so only the unpacked bound can catch it.
  put('huge/app/blob.bin', Buffer.alloc(60 * 1024 * 1024));
  await commitAll(src, 'catalogue v1');
  execFileSync('git', ['clone', '-q', '--bare', src, join(work, 'catalogue.git')]);
  remote = await startGitRemote(work, { user: 'bot', password: PASSWORD });
  mallory = (await p.yb(['users:create', 'mallory'])).stdout.trim();
});

after(async () => {
  await remote?.close();
  await p?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('a non-admin cannot add a catalogue, and a link-local URL is refused; nothing is fetched or kept', async () => {
  const denied = await ybAs(p, mallory, ['templates:catalogues:add', 'community', url()]);
  assert.equal(denied.code, 3, denied.stderr);
  assert.match(denied.stderr, /only platform administrators add, refresh or remove template catalogues/);
  const linkLocal = await p.yb(['templates:catalogues:add', 'metadata', 'http://169.254.169.254/latest.git'], { allowFail: true });
  assert.equal(linkLocal.code, 2, linkLocal.stderr);
  assert.match(linkLocal.stderr, /169\.254\.169\.254 is a link-local address/);
  assert.equal(linkLocal.stderr.trim().split('\n').length, 1, 'one sentence');
  assert.ok(!remote.requests.length, 'nothing was fetched');
  assert.deepEqual(await catalogues(), []);
  const listed = await ybAs(p, mallory, ['templates:catalogues', '--json']);
  assert.equal(listed.code, 0, listed.stderr);
});

test('an administrator adds a catalogue: pinned to the fetched commit, hostile templates refused with their reasons, the password kept nowhere', async () => {
  const r = await p.yb(['templates:catalogues:add', 'community', url()]);
  assert.match(r.stdout, new RegExp(`community pinned at ${head().slice(0, 12)}: community/site\\n`));
  assert.ok(!r.stdout.includes(PASSWORD), 'the password is not echoed');
  assert.ok(
    remote.requests.some((q) => q.authorized && q.path.endsWith('git-upload-pack')),
    'the credentials reached the server',
  );
  const [cat] = await catalogues();
  assert.equal(cat!.commit, head());
  assert.equal(cat!.url, `${remote.url}/git/catalogue.git`);
  assert.deepEqual(cat!.templates, ['site']);
  const reasons = Object.fromEntries(cat!.refused.map((x) => [x.template, x.reason]));
  assert.deepEqual(Object.keys(reasons).sort(), ['broken', 'huge', 'linked']);
  assert.equal(reasons.linked, 'linked/app/passwd is a symbolic link, which catalogue templates may not hold');
  assert.match(reasons.broken!, /"services" must list service kinds/);
  assert.match(reasons.huge!, /it holds 61 MiB, more than the 50 MiB a template may/);
  // Only the accepted template was unpacked, and nothing under the data dir holds the password.
  const tree = join(p.dataDir, 'template-catalogues', 'community', 'tree');
  assert.deepEqual(readdirSync(tree), ['site']);
  const stored = spawnSync('grep', ['-rlF', '--', PASSWORD, p.dataDir], { encoding: 'utf8' }).stdout.trim();
  assert.equal(stored, '', `the password is stored in ${stored}`);
  const events = JSON.parse((await p.yb(['events', '--json'])).stdout) as Array<{ action: string; detail?: { url?: string } }>;
  const added = events.find((e) => e.action === 'template-catalogue.add');
  assert.equal(added?.detail?.url, cat!.url, 'the change is audited, without the password');
  assert.ok(!JSON.stringify(events).includes(PASSWORD));
});

test('yb templates lists shipped and catalogue templates; a catalogue template deploys through the router like a shipped one', async () => {
  const list = JSON.parse((await p.yb(['templates', '--json'])).stdout) as Array<{ name: string }>;
  assert.deepEqual(
    list.map((t) => t.name),
    ['node-postgres', 'python-redis', 'static-site', 'community/site'],
  );
  const r = await p.yb(['apps:create', 'blog', '--template', 'community/site']);
  assert.match(r.stdout, /Template community\/site: A static site from a third-party catalogue/);
  assert.match(r.stdout, /v\d+ is live at/);
  assert.equal((await p.fetchApp('blog.localhost')).body, '<h1>catalogue site v1</h1>\n');
  const config = JSON.parse((await p.yb(['config', '-a', 'blog', '--json'])).stdout) as Record<string, string>;
  assert.equal(config.GREETING, 'hello');
});

test('hostile templates are refused in one sentence and deploy nothing, through the CLI and the API', async () => {
  for (const [name, why] of [
    ['community/linked', /template community\/linked was refused when its catalogue was fetched: linked\/app\/passwd is a symbolic link/],
    ['community/broken', /template community\/broken was refused when its catalogue was fetched: "services" must list service kinds/],
    ['community/huge', /template community\/huge was refused when its catalogue was fetched: it holds 61 MiB/],
    ['community/missing', /no template named "community\/missing"/],
    ['community/../../etc', /no template named/],
  ] as Array<[string, RegExp]>) {
    const r = await p.yb(['apps:create', 'evil', '--template', name], { allowFail: true });
    assert.notEqual(r.code, 0, name);
    assert.match(r.stderr, why);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one sentence: ${r.stderr}`);
  }
  assert.ok(!(await apps()).includes('evil'), 'no app was created');
  // The API refuses too (a client skipping the CLI's check), before any service, config or build.
  const releasesBefore = (await p.yb(['releases', '-a', 'blog', '--json'])).stdout;
  for (const name of ['community/linked', 'community/huge', 'nope/site', 'community/..']) {
    const res = await fetch(`${p.apiUrl}/apps/blog/template-deploys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${p.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ template: name }),
    });
    assert.ok([400, 404].includes(res.status), `${name}: ${res.status}`);
    assert.match(((await res.json()) as { message: string }).message, /was refused|no template|no template catalogue/);
  }
  assert.equal((await p.yb(['releases', '-a', 'blog', '--json'])).stdout, releasesBefore, 'nothing was deployed');
});

test('a catalogue cannot shadow a shipped template or another catalogue; bad names are refused', async () => {
  for (const [name, why] of [
    ['static-site', /"static-site" is the name of a shipped template/],
    ['community', /a template catalogue named "community" exists/],
    ['Bad/Name', /is not a catalogue name/],
  ] as Array<[string, RegExp]>) {
    const r = await p.yb(['templates:catalogues:add', name, url()], { allowFail: true });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, why);
  }
  assert.deepEqual(
    (await catalogues()).map((c) => c.name),
    ['community'],
  );
});

test('the pin moves only on refresh; a private catalogue needs its credentials again; a non-admin cannot refresh or remove', async () => {
  const pinned = (await catalogues())[0]!.commit;
  template('site', { description: 'A static site from a third-party catalogue' }, '<h1>catalogue site v2</h1>\n');
  await publish('catalogue v2');
  assert.equal((await catalogues())[0]!.commit, pinned, 'a new commit upstream does not move the pin');
  const noCreds = await p.yb(['templates:catalogues:refresh', 'community'], { allowFail: true });
  assert.notEqual(noCreds.code, 0);
  assert.match(noCreds.stderr, /git fetch failed/);
  assert.equal((await catalogues())[0]!.commit, pinned, 'a failed refresh keeps the pinned copy');
  const wrongUrl = await p.yb(['templates:catalogues:refresh', 'community', '--url', `${remote.url}/git/other.git`], { allowFail: true });
  assert.match(wrongUrl.stderr, /the URL given is not the catalogue's/);
  assert.equal((await ybAs(p, mallory, ['templates:catalogues:refresh', 'community'])).code, 3);
  const r = await p.yb(['templates:catalogues:refresh', 'community', '--url', url()]);
  assert.match(r.stdout, new RegExp(`community pinned at ${head().slice(0, 12)}`));
  assert.equal(readFileSync(join(p.dataDir, 'template-catalogues', 'community', 'tree', 'site', 'app', 'index.html'), 'utf8'), '<h1>catalogue site v2</h1>\n');

  const denied = await ybAs(p, mallory, ['templates:catalogues:remove', 'community']);
  assert.equal(denied.code, 3);
  await p.yb(['templates:catalogues:remove', 'community']);
  assert.deepEqual(await catalogues(), []);
  const list = JSON.parse((await p.yb(['templates', '--json'])).stdout) as Array<{ name: string }>;
  assert.ok(!list.some((t) => t.name.includes('/')), 'its templates are gone');
  assert.equal((await p.fetchApp('blog.localhost')).body, '<h1>catalogue site v1</h1>\n', 'the app deployed from it keeps running');
});
