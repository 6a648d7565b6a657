'use strict';
// Unit tests of the Rust buildpack's pure parts: detect, the binaries and web process read from cargo metadata,
// the metadata fragment with Cargo.lock versions. No cargo, no network, no Docker.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const bp = path.resolve(__dirname, '..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yb-rust-test-'));
const manifest = path.join(dir, 'Cargo.toml');
const pkg = (name, targets, dependencies = []) => ({
  id: `${name} 0.1.0`,
  name,
  manifest_path: name === 'web' ? manifest : path.join(dir, name, 'Cargo.toml'),
  targets: targets.map(([n, kind]) => ({ name: n, kind: [kind] })),
  dependencies,
});
const metadata = (packages) => {
  const file = path.join(dir, 'metadata.json');
  fs.writeFileSync(file, JSON.stringify({ packages, workspace_members: packages.map((p) => p.id) }));
  return file;
};

test('detect accepts Cargo.toml only', () => {
  fs.writeFileSync(manifest, '[package]\nname = "web"\n');
  assert.equal(spawnSync(`${bp}/bin/detect`, [dir]).status, 0);
  assert.equal(spawnSync(`${bp}/bin/detect`, [os.tmpdir() + '/nonexistent-yb']).status, 1);
});

test('every bin target is built; web is the root package binary of the same name', () => {
  const out = execFileSync(
    'node',
    [
      `${bp}/lib/cargo-bins.js`,
      metadata([
        pkg('web', [
          ['web', 'bin'],
          ['migrate', 'bin'],
          ['web', 'lib'],
        ]),
        pkg('tools', [['tool', 'bin']]),
      ]),
      manifest,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(out, 'bin web\nbin migrate\nbin tool\nweb web\n');
});

test('without a binary named like the root package, the only binary is web; several: none', () => {
  const one = execFileSync('node', [`${bp}/lib/cargo-bins.js`, metadata([pkg('web', [['server', 'bin']])]), manifest], { encoding: 'utf8' });
  assert.equal(one, 'bin server\nweb server\n');
  const two = execFileSync(
    'node',
    [
      `${bp}/lib/cargo-bins.js`,
      metadata([
        pkg('web', [
          ['a', 'bin'],
          ['b', 'bin'],
        ]),
      ]),
      manifest,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(two, 'bin a\nbin b\n');
});

test('metadata: normal dependencies with the version Cargo.lock resolved, else the requirement', () => {
  fs.writeFileSync(
    path.join(dir, 'Cargo.lock'),
    'version = 4\n\n[[package]]\nname = "itoa"\nversion = "1.0.19"\n\n[[package]]\nname = "web"\nversion = "0.1.0"\n',
  );
  const file = metadata([
    pkg(
      'web',
      [['web', 'bin']],
      [
        { name: 'itoa', req: '^1', kind: null },
        { name: 'serde', req: '^1.0', kind: null },
        { name: 'criterion', req: '^0.5', kind: 'dev' },
      ],
    ),
  ]);
  const out = JSON.parse(execFileSync('node', [`${bp}/lib/cargo-bins.js`, file, manifest, '1.85.0'], { encoding: 'utf8' }));
  assert.deepEqual(out, { language: 'rust', languageVersion: '1.85.0', dependencies: { itoa: '1.0.19', serde: '^1.0' } });
});
