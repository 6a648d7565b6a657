'use strict';
// Prints the Go buildpack's metadata fragment: language, languageVersion and the app's direct requirements with
// their versions, from `go mod edit -json` on stdin, or with --godeps from a GOPATH-era Godeps/Godeps.json
// (Deps: ImportPath and Rev). Input it cannot read counts as no dependencies: the build has already succeeded.
// usage: go mod edit -json | node metadata.js GO_VERSION    node metadata.js GO_VERSION --godeps < Godeps.json
const version = process.argv[2];
const godeps = process.argv[3] === '--godeps';
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  input += chunk;
});
process.stdin.on('end', () => {
  let doc = {};
  try {
    doc = JSON.parse(input);
  } catch (err) {
    process.stderr.write(`metadata: ${godeps ? 'Godeps.json' : 'go mod edit -json'} is not JSON (${err.message}): no dependencies recorded\n`);
  }
  const dependencies = {};
  if (godeps) {
    for (const d of Array.isArray(doc.Deps) ? doc.Deps : []) {
      if (d && typeof d.ImportPath === 'string' && typeof d.Rev === 'string') dependencies[d.ImportPath] = d.Rev;
    }
  } else {
    for (const r of doc.Require || []) {
      if (!r.Indirect) dependencies[r.Path] = r.Version;
    }
  }
  process.stdout.write(JSON.stringify({ language: 'go', languageVersion: version, dependencies }) + '\n');
});
