'use strict';
// Reads `cargo metadata --no-deps` output. Without RUST_VERSION: prints "bin NAME" for every binary target of
// the workspace's packages and "web NAME" for the binary of the root package named like it (else the only
// binary). With RUST_VERSION: prints the metadata fragment (language, languageVersion, the packages' direct
// dependencies with the versions Cargo.lock resolved, else their version requirements).
// usage: node cargo-bins.js METADATA_JSON ROOT_CARGO_TOML [RUST_VERSION]
const fs = require('fs');
const path = require('path');

const [metaFile, rootManifest, rustVersion] = process.argv.slice(2);
const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8'));
const members = new Set(meta.workspace_members);
const packages = meta.packages.filter((p) => members.has(p.id));

if (rustVersion) {
  // Cargo.lock: [[package]] blocks of name = "…" and version = "…" lines (a name may appear in several versions).
  const locked = {};
  const lockFile = path.join(path.dirname(rootManifest), 'Cargo.lock');
  if (fs.existsSync(lockFile)) {
    for (const block of fs.readFileSync(lockFile, 'utf8').split('[[package]]').slice(1)) {
      const name = /^name = "([^"]+)"/m.exec(block);
      const version = /^version = "([^"]+)"/m.exec(block);
      if (name && version) (locked[name[1]] ||= []).push(version[1]);
    }
  }
  const dependencies = {};
  for (const p of packages) {
    for (const d of p.dependencies) {
      if (d.kind !== null) continue;
      const versions = locked[d.name] || [];
      dependencies[d.rename || d.name] = versions.length === 1 ? versions[0] : d.req;
    }
  }
  process.stdout.write(JSON.stringify({ language: 'rust', languageVersion: rustVersion, dependencies }) + '\n');
  process.exit(0);
}

const bins = [];
for (const p of packages) {
  for (const t of p.targets) if (t.kind.includes('bin')) bins.push({ name: t.name, pkg: p });
}
const root = packages.find((p) => path.resolve(p.manifest_path) === path.resolve(rootManifest));
let web = root && bins.find((b) => b.pkg === root && b.name === root.name);
if (!web && bins.length === 1) web = bins[0];
for (const b of bins) process.stdout.write(`bin ${b.name}\n`);
if (web) process.stdout.write(`web ${web.name}\n`);
