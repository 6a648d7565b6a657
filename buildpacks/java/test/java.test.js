'use strict';
// Unit tests of the Java buildpack's pure parts: detect (Maven, and Gradle so that compile can refuse it with
// the reason), release's web process, the metadata fragment read from pom.xml. No JDK, no network, no Docker.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync, spawnSync } = require('node:child_process');
const path = require('node:path');

const { appDir } = require('../../test/app-dir.js');

const bp = path.resolve(__dirname, '..');
const app = (files) => appDir('yb-java-test-', files);

test('detect: pom.xml is Maven, build.gradle(.kts) is Gradle, nothing else', () => {
  assert.equal(execFileSync(`${bp}/bin/detect`, [app({ 'pom.xml': '<project/>' })], { encoding: 'utf8' }).trim(), 'Java (Maven)');
  assert.equal(execFileSync(`${bp}/bin/detect`, [app({ 'build.gradle.kts': '' })], { encoding: 'utf8' }).trim(), 'Java (Gradle)');
  assert.equal(spawnSync(`${bp}/bin/detect`, [app({ 'Main.java': '' })]).status, 1);
});

test('release: web runs the jar compile chose, with $PORT as server.port', () => {
  const release = (dir) => execFileSync(`${bp}/bin/release`, [dir], { encoding: 'utf8' });
  assert.equal(
    release(app({ '.heroku/java/main-jar': 'target/app-1.0.jar\n' })),
    '---\ndefault_process_types:\n  web: java -Dserver.port=$PORT $JAVA_OPTS -jar target/app-1.0.jar\n',
  );
  assert.equal(release(app({ 'pom.xml': '<project/>' })), '---\ndefault_process_types: {}\n');
});

test('metadata: direct dependencies with properties resolved, managed versions marked', () => {
  const pom = app({
    'pom.xml': `<?xml version="1.0"?>
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <groupId>g</groupId><artifactId>a</artifactId><version>2.0</version>
  <properties><jackson.version>2.17.1</jackson.version></properties>
  <dependencies>
    <dependency><groupId>com.fasterxml.jackson.core</groupId><artifactId>jackson-databind</artifactId><version>\${jackson.version}</version></dependency>
    <dependency><groupId>g</groupId><artifactId>sibling</artifactId><version>\${project.version}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId></dependency>
  </dependencies>
  <dependencyManagement><dependencies><dependency><groupId>x</groupId><artifactId>y</artifactId><version>1</version></dependency></dependencies></dependencyManagement>
</project>`,
  });
  const out = JSON.parse(execFileSync('python3', [`${bp}/lib/metadata.py`, path.join(pom, 'pom.xml'), '17.0.19'], { encoding: 'utf8' }));
  assert.deepEqual(out, {
    language: 'java',
    languageVersion: '17.0.19',
    dependencies: {
      'com.fasterxml.jackson.core:jackson-databind': '2.17.1',
      'g:sibling': '2.0',
      'org.slf4j:slf4j-api': 'managed',
    },
  });
});

// Issue #20: poms that set no compiler level, and system.properties choosing the JDK.
const level = (pom) => spawnSync('python3', [`${bp}/lib/compiler-level.py`, path.join(app({ 'pom.xml': pom }), 'pom.xml')], { encoding: 'utf8' });
const NS = 'xmlns="http://maven.apache.org/POM/4.0.0"';

test('compiler level: set by a property or the compiler plugin, left to a parent, else none', () => {
  assert.equal(level(`<project ${NS}><artifactId>a</artifactId></project>`).stdout.trim(), 'none');
  assert.equal(level('<project><artifactId>a</artifactId></project>').stdout.trim(), 'none');
  for (const prop of ['maven.compiler.source', 'maven.compiler.target', 'maven.compiler.release']) {
    assert.equal(level(`<project ${NS}><properties><${prop}>11</${prop}></properties></project>`).stdout.trim(), 'set', prop);
  }
  const plugin = (conf) =>
    `<project ${NS}><build><pluginManagement><plugins><plugin><artifactId>maven-compiler-plugin</artifactId><configuration>${conf}</configuration></plugin></plugins></pluginManagement></build></project>`;
  assert.equal(level(plugin('<release>17</release>')).stdout.trim(), 'set');
  assert.equal(level(plugin('<source>1.8</source><target>1.8</target>')).stdout.trim(), 'set');
  assert.equal(level(plugin('<encoding>UTF-8</encoding>')).stdout.trim(), 'none');
  // Another plugin's <source> (e.g. a code generator) is not the compiler level.
  assert.equal(
    level(
      `<project ${NS}><build><plugins><plugin><artifactId>build-helper</artifactId><configuration><source>x</source></configuration></plugin></plugins></build></project>`,
    ).stdout.trim(),
    'none',
  );
  assert.equal(
    level(
      `<project ${NS}><profiles><profile><properties><maven.compiler.release>21</maven.compiler.release></properties></profile></profiles></project>`,
    ).stdout.trim(),
    'set',
  );
  assert.equal(level(`<project ${NS}><parent><artifactId>spring-boot-starter-parent</artifactId></parent></project>`).stdout.trim(), 'parent');
  const broken = level('<project><unclosed></project>');
  assert.equal(broken.status, 1);
  assert.match(broken.stderr, /pom\.xml is not valid XML/);
});

test('compiler level: entity expansion (billion laughs) is refused, not expanded', () => {
  const bomb = `<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaaaaaaaa">${Array.from({ length: 9 }, (_, i) => `<!ENTITY ${'b'.repeat(i + 1)} "${(i === 0 ? '&a;' : `&${'b'.repeat(i)};`).repeat(10)}">`).join('')}]><project><name>&bbbbbbbbb;</name></project>`;
  const started = Date.now();
  const r = level(bomb);
  assert.ok(Date.now() - started < 5000, 'answered at once');
  assert.equal(r.status, 1, r.stdout);
});

// Runs check_requested_java of lib/jdk.sh against a fake JVM directory holding JDKs `majors`.
const jdkCheck = (majors, props) => {
  const jvm = appDir(
    'yb-jvm-',
    Object.fromEntries(
      majors.flatMap((m) => [
        [`java-${m}-openjdk-amd64/bin/javac`, ''],
        [`java-${m}-openjdk-amd64/release`, `JAVA_VERSION="${m}.0.9"\n`],
      ]),
    ),
  );
  for (const m of majors) require('node:fs').chmodSync(path.join(jvm, `java-${m}-openjdk-amd64/bin/javac`), 0o755);
  const dir = app(props === null ? { 'pom.xml': '' } : { 'system.properties': props });
  return spawnSync(
    'bash',
    ['-c', `BUILD_DIR="$1"; . "${bp}/../lib/output.sh"; . "${bp}/lib/jdk.sh"; check_requested_java; echo "JDK_HOME=$JDK_HOME"`, 'x', dir],
    {
      env: { PATH: process.env.PATH, YB_JVM_DIR: jvm },
      encoding: 'utf8',
    },
  );
};

test('system.properties java.runtime.version chooses an installed JDK; another fails naming those available', () => {
  assert.match(jdkCheck(['17'], null).stdout, /no java\.runtime\.version .*OpenJDK 17\.0\.9 \(the default\)\nJDK_HOME=.*java-17-openjdk-amd64$/m);
  for (const v of ['17', '17.0.2', 'zulu-17', 'heroku-17']) {
    assert.match(jdkCheck(['17'], `java.runtime.version=${v}\n`).stdout, /JDK_HOME=.*java-17-openjdk-amd64/, v);
  }
  assert.match(jdkCheck(['11', '17'], 'java.runtime.version = 11\n').stdout, /asks for Java 11: OpenJDK 11\.0\.9\nJDK_HOME=.*java-11-openjdk-amd64/);
  assert.match(jdkCheck(['8', '17'], 'java.runtime.version=1.8\n').stdout, /JDK_HOME=.*java-8-openjdk-amd64/);
  const refused = jdkCheck(['17'], 'java.runtime.version=1.8\n');
  assert.equal(refused.status, 1);
  assert.match(
    refused.stdout + refused.stderr,
    /system\.properties asks for Java '1\.8', but the JDKs this platform can install are: 17 \(Debian bookworm's OpenJDK\), so set java\.runtime\.version to one of those/,
  );
  assert.equal(jdkCheck(['17'], 'java.runtime.version=../../etc\n').status, 1);
  assert.equal(jdkCheck(['17'], 'java.runtime.version=$(id)\n').status, 1);
});

// Gradle (issue #20): the task chosen and the wrapper version that is not downloaded.
const gradle = (files, code, env = {}) =>
  spawnSync('bash', ['-c', `BUILD_DIR="$1"; . "${bp}/../lib/output.sh"; . "${bp}/lib/gradle.sh"; ${code}`, 'x', app(files)], {
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
  });

test('gradle task: GRADLE_TASK, else stage when the build defines it, else build -x check', () => {
  assert.equal(gradle({ 'build.gradle': "apply plugin: 'java'\n" }, 'gradle_tasks').stdout, 'build\n-x\ncheck\n');
  for (const def of ["task stage(dependsOn: ['jar'])", 'task stage {', "tasks.register('stage') {", 'tasks.register("stage")', 'task("stage")']) {
    assert.equal(gradle({ 'build.gradle': `${def}\n` }, 'gradle_tasks').stdout, 'stage\n', def);
  }
  assert.equal(gradle({ 'build.gradle.kts': 'tasks.register("stage") { dependsOn("jar") }\n' }, 'gradle_tasks').stdout, 'stage\n');
  assert.equal(gradle({ 'build.gradle': 'task stageAssets {\n' }, 'gradle_tasks').stdout, 'build\n-x\ncheck\n');
  assert.equal(gradle({ 'build.gradle': '' }, 'gradle_tasks', { GRADLE_TASK: 'clean  shadowJar' }).stdout, 'clean\nshadowJar\n');
  // A task list is words, not globs.
  assert.equal(gradle({ 'build.gradle': '', 'zzz-file': '' }, 'cd "$BUILD_DIR"; gradle_tasks', { GRADLE_TASK: '*' }).stdout, '*\n');
});

test('gradle wrapper: the version ./gradlew would download is read from gradle-wrapper.properties', () => {
  const props = (url) => ({ 'gradle/wrapper/gradle-wrapper.properties': `distributionBase=GRADLE_USER_HOME\ndistributionUrl=${url}\n` });
  assert.equal(gradle(props('https\\://services.gradle.org/distributions/gradle-8.14.3-bin.zip'), 'gradle_wrapper_version').stdout, '8.14.3\n');
  assert.equal(gradle(props('https\\://example.invalid/gradle-7.6-all.zip'), 'gradle_wrapper_version').stdout, '7.6\n');
  assert.equal(gradle({ 'build.gradle': '' }, 'gradle_wrapper_version').stdout, '');
});
