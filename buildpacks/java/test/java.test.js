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
