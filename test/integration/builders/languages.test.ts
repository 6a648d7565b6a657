// Issue #3 (languages): every shipped buildpack proven end to end on the real platform — each language fixture
// is pushed with git, built in the builder image, released and answered through the router with its EXPECTED
// body; the build record carries the detected language, its version and the direct dependencies. One platform
// for all apps, pushes one after another (the machine has two cores).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readFile, writeFile } from 'node:fs/promises';
import { startPlatform, fixtureRepo, git, commitAll, ROOT, type Platform } from '../../helpers/platform.js';

interface BuildJson {
  status: string;
  builder: string;
  buildpacks: string[];
  language?: string;
  languageVersion?: string | null;
  dependencies?: Record<string, string>;
  processTypes?: Record<string, string>;
}

interface Case {
  fixture: string;
  buildpack: string;
  language: string;
  version: RegExp | null;
  dependencies?: Record<string, string | RegExp>;
  web?: RegExp;
  /** Lines the push output must show (build log). */
  log?: RegExp[];
}

const cases: Case[] = [
  { fixture: 'node-hello', buildpack: 'nodejs', language: 'nodejs', version: /^20\.\d+\.\d+$/, dependencies: { express: /^\d+\.\d+\.\d+$/ } },
  { fixture: 'node-yarn', buildpack: 'nodejs', language: 'nodejs', version: /^22\.\d+\.\d+$/ },
  { fixture: 'node-pnpm', buildpack: 'nodejs', language: 'nodejs', version: /^24\.\d+\.\d+$/ },
  { fixture: 'python-hello', buildpack: 'python', language: 'python', version: /^3\.11\.\d+$/, dependencies: { flask: /^\d+\.\d+/ } },
  { fixture: 'python-pipenv', buildpack: 'python', language: 'python', version: /^3\.11\.\d+$/, dependencies: { gunicorn: '23.0.0' } },
  // No Procfile: web from the Django convention (issue #3); collectstatic at build time, proven by the body.
  {
    fixture: 'python-django',
    buildpack: 'python',
    language: 'python',
    version: /^3\.11\.\d+$/,
    dependencies: { Django: '5.2.19', gunicorn: '23.0.0' },
    web: /^gunicorn hello\.wsgi --bind 0\.0\.0\.0:\$PORT$/,
    log: [/remote: -----> Django: collectstatic\s*\n.*1 static file copied/, /remote: .*no Procfile: Django project 'hello' .*with gunicorn installed/],
  },
  { fixture: 'static-hello', buildpack: 'static', language: 'static', version: null },
  { fixture: 'go-hello', buildpack: 'go', language: 'go', version: /^1\.22\.5$/, dependencies: { 'github.com/google/uuid': 'v1.6.0' }, web: /^bin\/go-hello$/ },
  { fixture: 'java-hello', buildpack: 'java', language: 'java', version: /^17\.\d+\.\d+$/, web: /-jar target\/java-hello-1\.0\.0\.jar$/ },
  { fixture: 'php-hello', buildpack: 'php', language: 'php', version: /^8\.2\.\d+$/ },
  { fixture: 'rust-hello', buildpack: 'rust', language: 'rust', version: /^1\.\d+\.\d+$/, dependencies: { itoa: /^1\.\d+\.\d+$/ }, web: /^bin\/rust-hello$/ },
];

let p: Platform;
let stopping = false;
const pushUrl = (app: string) => `http://yb:${p.token}@${new URL(p.apiUrl).host}/git/${app}.git`;
const expected = (fixture: string) => readFileSync(join(ROOT, 'test/fixtures/apps', fixture, 'EXPECTED'), 'utf8').trim();

before(async () => {
  p = await startPlatform();
  // A control plane that dies mid-file fails every later case with "API not reachable": show why, once.
  p.child.once('exit', (code, signal) => {
    if (!stopping) process.stderr.write(`ybd exited (${code ?? signal}) during the test; its output:\n${p.output().slice(-4000)}\n`);
  });
});

after(async () => {
  stopping = true;
  await p?.stop();
});

for (const c of cases) {
  test(`${c.fixture}: git push builds with the ${c.buildpack} buildpack and serves its EXPECTED body`, { timeout: 300_000 }, async () => {
    const app = c.fixture;
    await p.yb(['apps:create', app]);
    const repo = await fixtureRepo(c.fixture, p.dataDir);
    const push = await git(repo, ['push', pushUrl(app), 'main']);
    assert.equal(push.code, 0, push.output);
    assert.match(push.output, /remote: -----> .* app detected/);
    for (const line of c.log ?? []) assert.match(push.output, line);

    const res = await p.fetchApp(`${app}.localhost`);
    assert.equal(res.status, 200, res.body);
    assert.ok(res.body.includes(expected(c.fixture)), `body ${JSON.stringify(res.body)} holds EXPECTED`);

    const builds = JSON.parse((await p.yb(['builds', '--json', '-a', app])).stdout) as BuildJson[];
    const b = builds[0]!;
    assert.equal(b.status, 'succeeded');
    assert.equal(b.builder, 'buildpacks');
    assert.deepEqual(b.buildpacks, [c.buildpack]);
    assert.equal(b.language, c.language);
    if (c.version) assert.match(String(b.languageVersion), c.version);
    else assert.ok(b.languageVersion == null, `no language version expected, got ${b.languageVersion}`);
    for (const [name, version] of Object.entries(c.dependencies ?? {})) {
      const got = b.dependencies?.[name];
      assert.ok(got, `dependency ${name} recorded: ${JSON.stringify(b.dependencies)}`);
      if (typeof version === 'string') assert.equal(got, version);
      else assert.match(got, version);
    }
    if (c.web) assert.match(b.processTypes?.web ?? '', c.web);
  });
}

test('Pipfile.lock hashes are checked: a tampered hash rejects the push and nothing is released', { timeout: 300_000 }, async () => {
  const app = 'pipenv-tampered';
  await p.yb(['apps:create', app]);
  const repo = await fixtureRepo('python-pipenv', p.dataDir);
  const lockPath = join(repo, 'Pipfile.lock');
  const lock = JSON.parse(await readFile(lockPath, 'utf8')) as { default: Record<string, { hashes: string[] }> };
  lock.default.gunicorn!.hashes = [`sha256:${'0'.repeat(64)}`];
  await writeFile(lockPath, JSON.stringify(lock, null, 4));
  await commitAll(repo, 'tamper with the gunicorn hash');
  const push = await git(repo, ['push', pushUrl(app), 'main']);
  assert.notEqual(push.code, 0, push.output);
  assert.match(push.output, /DO NOT MATCH THE HASHES/);
  assert.match(push.output, /remote:\s+!\s+pip could not fetch or build the requirements/);
  const releases = JSON.parse((await p.yb(['releases', '--json', '-a', app])).stdout) as unknown[];
  assert.equal(releases.length, 0, JSON.stringify(releases));
});
