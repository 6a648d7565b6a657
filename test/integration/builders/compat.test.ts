// Issue #20 (builders): apps written for Heroku and Dokku build unchanged. Each fixture stands for a class of app
// those platforms accept — pushed with git, built in the builder image, released and answered through the router
// with its EXPECTED body; the build log says what was assumed. One platform for all apps, pushes one at a time.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startPlatform, fixtureRepo, git, commitAll, ROOT, type Platform } from '../../helpers/platform.js';
import { startComposerRepo, type ComposerRepo } from './composer-repo.js';

interface BuildJson {
  status: string;
  buildpacks: string[];
  language?: string;
  languageVersion?: string | null;
  dependencies?: Record<string, string>;
  processTypes?: Record<string, string>;
}

interface Case {
  fixture: string;
  buildpack: string;
  /** The buildpacks recorded, when not just `buildpack` (a .buildpacks chain). */
  buildpacks?: string[];
  version: RegExp | null;
  web?: RegExp;
  /** Lines the push output must show (build log). */
  log?: RegExp[];
  /** Direct dependencies the build records, with their versions. */
  dependencies?: Record<string, string>;
}

const only = process.env.YB_COMPAT_ONLY?.split(','); // fixture names, to run some cases while developing
const cases: Case[] = [
  // app.json as JSONC: its env default reaches the process, so the body proves it was read.
  { fixture: 'node-appjsonc', buildpack: 'nodejs', version: /^24\.\d+\.\d+$/ },
  // Only .py files and a Procfile running python: the default Python, no packages, and the log says so.
  {
    fixture: 'python-scripts',
    buildpack: 'python',
    version: /^3\.11\.\d+$/,
    web: /^python server\.py$/,
    log: [/remote: .*no runtime\.txt or \.python-version: the default Python \(3\.11\.\d+\)/, /remote: .*assumed a standard-library app: no requirements\.txt/],
  },
  // engines.node 4.2.x and no engines.npm: the npm bundled with Node.js 4 (2.x), which runs on it, installs `ms`.
  {
    fixture: 'node-legacy',
    buildpack: 'nodejs',
    version: /^4\.2\.\d+$/,
    web: /^node server\.js$/,
    log: [/remote: .*engines\.npm not set: the npm line bundled with Node\.js 4\.2\.\d+ \(2\.x\)/, /remote: .*Node\.js 4\.2\.\d+ and npm 2\.\d+\.\d+/],
  },
  // Go without go.mod, standard library only: a generated go.mod, module mode; web is the binary.
  {
    fixture: 'go-nomod',
    buildpack: 'go',
    version: /^1\.\d+\.\d+$/,
    web: /^bin\/app$/,
    log: [/remote: .*no go\.mod: generated one \(module app, go 1\.\d+\) to build in module mode/],
  },
  // A godep app (Godeps.json asks for go1.6, its dependency in Godeps/_workspace): GOPATH mode, newest Go.
  {
    fixture: 'go-godeps',
    buildpack: 'go',
    version: /^1\.\d+\.\d+$/,
    web: /^go-godeps$/,
    log: [
      /remote: .*Go 1\.6 predates the toolchains the module proxy offers \(1\.21 and later\): using the newest release/,
      /remote: .*built in GOPATH mode as github\.com\/yunbang-fixtures\/go-godeps/,
    ],
  },
  // A pom with no compiler level (maven-compiler-plugin 3.8.1 would use 1.6, which JDK 17 refuses); system.properties
  // java.runtime.version=17 chooses the JDK.
  {
    fixture: 'java-nolevel',
    buildpack: 'java',
    version: /^17\.\d+\.\d+$/,
    web: /-jar target\/java-nolevel-1\.0\.jar$/,
    log: [
      /remote: .*system\.properties asks for Java 17: OpenJDK 17\.\d+\.\d+/,
      /remote: .*pom\.xml sets no compiler level \(maven\.compiler\.source\/target\/release\): using Java 8/,
    ],
  },
  // composer.json requires a package and vendor/ is not committed: Composer installs it from YB_COMPOSER_REPO, a
  // repository this test serves (packages.json + a dist zip), in place of Packagist.
  {
    fixture: 'php-composer',
    buildpack: 'php',
    version: /^8\.2\.\d+$/,
    log: [/remote: .*from the Composer repository http:\/\/[\d.]+:8080, in place of Packagist/, /remote: .*Installing yunbang-fixtures\/greeting \(1\.0\.0\)/],
    dependencies: { 'yunbang-fixtures/greeting': '1.0.0' },
  },
  // A Gradle build (a stage task; ./gradlew's wrapper asks for 4.10.3): Debian's Gradle 4.4.1 builds it, warning.
  {
    fixture: 'java-gradle',
    buildpack: 'java',
    version: /^17\.\d+\.\d+$/,
    web: /-jar build\/libs\/java-gradle\.jar$/,
    log: [/remote: .*\.\/gradlew asks for Gradle 4\.10\.3, .*using Debian's Gradle 4\.4\.1 instead/, /remote: .*gradle stage/],
  },
  // A CNB project.toml chooses heroku/static although package.json would have made detection pick Node.js.
  {
    fixture: 'static-projecttoml',
    buildpack: 'static',
    version: null,
    log: [/remote: .*buildpacks chosen by project\.toml: static/],
  },
  // A .buildpacks chain: the nodejs buildpack's export file puts its Node.js 22 on PATH for the app's own buildpack.
  {
    fixture: 'chain-export',
    buildpack: 'nodejs',
    buildpacks: ['nodejs', '/tmp/build/bp'],
    version: /^22\.\d+\.\d+$/,
    log: [/remote: -----> Writing built\.txt with \/tmp\/build\/\.heroku\/node\/bin\/node/],
  },
];

let p: Platform;
let composer: ComposerRepo;
let stopping = false;
const pushUrl = (app: string) => `http://yb:${p.token}@${new URL(p.apiUrl).host}/git/${app}.git`;
const expected = (fixture: string) => readFileSync(join(ROOT, 'test/fixtures/apps', fixture, 'EXPECTED'), 'utf8').trim();

before(async () => {
  composer = await startComposerRepo();
  p = await startPlatform({ YB_COMPOSER_REPO: composer.url });
  p.child.once('exit', (code, signal) => {
    if (!stopping) process.stderr.write(`ybd exited (${code ?? signal}) during the test; its output:\n${p.output().slice(-4000)}\n`);
  });
});

after(async () => {
  stopping = true;
  await p?.stop();
  await composer?.close();
});

for (const c of cases.filter((c) => !only || only.includes(c.fixture))) {
  test(`${c.fixture}: builds unchanged with the ${c.buildpack} buildpack and serves its EXPECTED body`, { timeout: 600_000 }, async () => {
    const app = c.fixture;
    await p.yb(['apps:create', app]);
    const repo = await fixtureRepo(c.fixture, p.dataDir);
    const push = await git(repo, ['push', pushUrl(app), 'main']);
    assert.equal(push.code, 0, push.output);
    for (const line of c.log ?? []) assert.match(push.output, line);

    const res = await p.fetchApp(`${app}.localhost`);
    assert.equal(res.status, 200, res.body);
    assert.ok(res.body.includes(expected(c.fixture)), `body ${JSON.stringify(res.body)} holds EXPECTED`);

    const b = (JSON.parse((await p.yb(['builds', '--json', '-a', app])).stdout) as BuildJson[])[0]!;
    assert.equal(b.status, 'succeeded');
    assert.deepEqual(b.buildpacks, c.buildpacks ?? [c.buildpack]);
    if (c.version) assert.match(String(b.languageVersion), c.version);
    if (c.web) assert.match(b.processTypes?.web ?? '', c.web);
    for (const [name, version] of Object.entries(c.dependencies ?? {})) assert.equal(b.dependencies?.[name], version, JSON.stringify(b.dependencies));
  });
}

/** Pushes `fixture` changed by `edit`, expects the push rejected with `message`, and nothing released. */
async function rejected(app: string, fixture: string, edit: (repo: string) => Promise<void>, message: RegExp) {
  await p.yb(['apps:create', app]);
  const repo = await fixtureRepo(fixture, p.dataDir);
  await edit(repo);
  await commitAll(repo, `${app}: the change under test`);
  const push = await git(repo, ['push', pushUrl(app), 'main']);
  assert.notEqual(push.code, 0, push.output);
  assert.match(push.output, message);
  const releases = JSON.parse((await p.yb(['releases', '--json', '-a', app])).stdout) as unknown[];
  assert.equal(releases.length, 0, JSON.stringify(releases));
}

test('a Java version without an installable JDK is refused in one sentence naming the JDKs available', { timeout: 300_000 }, async () => {
  await rejected(
    'java-unavailable',
    'java-nolevel',
    (repo) => writeFile(join(repo, 'system.properties'), 'java.runtime.version=1.8\n'),
    /remote:\s+!\s+system\.properties asks for Java '1\.8', but the JDKs this platform can install are: 17 \(Debian bookworm's OpenJDK\), so set java\.runtime\.version to one of those/,
  );
});

test('a Gradle build that needs a newer Gradle fails in one sentence saying why only Gradle 4.4.1 is offered', { timeout: 300_000 }, async () => {
  await rejected(
    'gradle-too-new',
    'java-gradle',
    async (repo) => writeFile(join(repo, 'build.gradle'), `${await readFile(join(repo, 'build.gradle'), 'utf8')}\ntasks.register('hello') { }\n`),
    /remote:\s+!\s+the Gradle build failed \(exit status 1, see the output above\); this platform builds Gradle projects with Debian's Gradle 4\.4\.1, the only Gradle distribution a registry it reaches provides \(Gradle's own download server is not one\), so a build that needs a newer Gradle must move to Maven \(pom\.xml\) or a Dockerfile/,
  );
});

test('a Node.js too old to build is refused in one sentence naming the oldest supported version', { timeout: 300_000 }, async () => {
  await rejected(
    'node-too-old',
    'node-legacy',
    async (repo) => {
      const pkg = JSON.parse(await readFile(join(repo, 'package.json'), 'utf8')) as { engines: { node: string } };
      pkg.engines.node = '0.8.x';
      await writeFile(join(repo, 'package.json'), JSON.stringify(pkg));
    },
    /remote:\s+!\s+Node\.js 0\.8\.\d+ \(engines\.node "0\.8\.x"\) is too old to build here: the oldest supported version is Node\.js 0\.10 \(engines\.node "0\.10\.x"\)/,
  );
});
