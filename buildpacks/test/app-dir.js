'use strict';
// Shared by the buildpacks' unit tests: app folders written from a { path: text } map.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

/** Writes `files` under `dir` (folders made as needed, files under bin/ executable); returns `dir`. */
function writeFiles(dir, files) {
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text, { mode: name.startsWith('bin/') ? 0o755 : 0o644 });
  }
  return dir;
}

/** A new temporary folder (its name starts with `prefix`) holding `files`. */
function appDir(prefix, files) {
  return writeFiles(fs.mkdtempSync(path.join(os.tmpdir(), prefix)), files);
}

module.exports = { writeFiles, appDir };
