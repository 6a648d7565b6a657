'use strict';
// Prints the Go buildpack's metadata fragment: language, languageVersion and the module's direct
// requirements with their versions, from `go mod edit -json` on stdin.
// usage: go mod edit -json | node metadata.js GO_VERSION
const version = process.argv[2];
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  input += chunk;
});
process.stdin.on('end', () => {
  const mod = JSON.parse(input);
  const dependencies = {};
  for (const r of mod.Require || []) {
    if (!r.Indirect) dependencies[r.Path] = r.Version;
  }
  process.stdout.write(JSON.stringify({ language: 'go', languageVersion: version, dependencies }) + '\n');
});
