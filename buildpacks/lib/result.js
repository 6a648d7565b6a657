'use strict';
// Writes OUT/metadata.json (the buildpacks' metadata fragments merged in order) and OUT/result.json (buildpacks
// used, language, dependencies, process types). Process types come from the app's Procfile when it exists,
// else from release.yml's default_process_types. Reads files and writes two; runs nothing.
//
// usage: node result.js BUILD_DIR OUT_DIR "name1 name2" [fragment.json ...]
const fs = require('fs');
const path = require('path');

/** Parses a Procfile ("type: command" lines) into { type: command }. */
function parseProcfile(text) {
  const types = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^([A-Za-z0-9_-]+):\s*(.*?)\s*$/.exec(line);
    if (m && m[2] !== '') types[m[1]] = m[2];
  }
  return types;
}

function unquote(value) {
  if (/^".*"$/.test(value)) return JSON.parse(value);
  if (/^'.*'$/.test(value)) return value.slice(1, -1).replace(/''/g, "'");
  return value;
}

/** Reads default_process_types from a buildpack's release YAML (the simple block or "{}" form buildpacks emit). */
function parseReleaseDefaults(yaml) {
  const types = {};
  const lines = yaml.split(/\r?\n/);
  const start = lines.findIndex((l) => /^default_process_types:/.test(l));
  if (start < 0) return types;
  for (const line of lines.slice(start + 1)) {
    if (!/^\s+\S/.test(line)) break;
    const m = /^\s+([A-Za-z0-9_-]+):\s*(.*?)\s*$/.exec(line);
    if (m && m[2] !== '') types[m[1]] = unquote(m[2]);
  }
  return types;
}

/** Merges metadata fragments in order: later scalars win, dependencies are combined. */
function mergeMetadata(fragments) {
  const merged = {};
  for (const f of fragments) {
    for (const [key, value] of Object.entries(f)) {
      merged[key] = key === 'dependencies' ? { ...merged[key], ...value } : value;
    }
  }
  return merged;
}

function readIfExists(file) {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
}

function main([buildDir, outDir, names, ...fragmentFiles]) {
  const buildpacks = names.split(' ').filter(Boolean);
  const metadata = mergeMetadata(fragmentFiles.map((f) => JSON.parse(fs.readFileSync(f, 'utf8'))));
  const procfile = readIfExists(path.join(buildDir, 'Procfile'));
  const processTypes = procfile !== null ? parseProcfile(procfile) : parseReleaseDefaults(readIfExists(path.join(outDir, 'release.yml')) || '');
  const result = {
    buildpacks,
    language: metadata.language || buildpacks[buildpacks.length - 1],
    languageVersion: metadata.languageVersion || null,
    dependencies: metadata.dependencies || {},
    ...metadata,
    processTypes,
  };
  if (Object.keys(processTypes).length === 0) {
    console.log(' !     Warning: no process types: add a Procfile (e.g. "web: <command that listens on $PORT>")');
  }
  fs.writeFileSync(path.join(outDir, 'metadata.json'), JSON.stringify(metadata, null, 2) + '\n');
  fs.writeFileSync(path.join(outDir, 'result.json'), JSON.stringify(result, null, 2) + '\n');
}

if (require.main === module) main(process.argv.slice(2));
module.exports = { parseProcfile, parseReleaseDefaults, mergeMetadata };
