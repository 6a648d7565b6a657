'use strict';
// Writes the buildpack's metadata fragment: language, languageVersion and the app's direct dependencies with
// the versions actually installed in node_modules (absent optional dependencies are left out).
// usage: node metadata.js BUILD_DIR NODE_VERSION OUT_FILE
const fs = require('fs');
const path = require('path');

const [dir, nodeVersion, outFile] = process.argv.slice(2);
const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
const dependencies = {};
for (const name of Object.keys(pkg.dependencies || {}).sort()) {
  const manifest = path.join(dir, 'node_modules', name, 'package.json');
  // An optional dependency for another platform is not installed, so not part of the slug.
  if (fs.existsSync(manifest)) dependencies[name] = JSON.parse(fs.readFileSync(manifest, 'utf8')).version;
}
const metadata = { language: 'nodejs', languageVersion: nodeVersion, dependencies };
fs.writeFileSync(outFile, JSON.stringify(metadata, null, 2) + '\n');
