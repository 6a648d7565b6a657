'use strict';
// Reads one field of an app's package.json (dotted path, e.g. "engines.node") and prints it, or nothing when
// it is absent. "keys:dependencies" prints that object's keys, one a line. Exits 1 on invalid JSON.
// usage: node package-json.js BUILD_DIR FIELD
const fs = require('fs');
const path = require('path');

const [dir, field] = process.argv.slice(2);
let pkg;
try {
  pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
} catch (err) {
  console.error(`package.json is not valid JSON: ${err.message}`);
  process.exit(1);
}
const keysOnly = field.startsWith('keys:');
let value = pkg;
for (const part of field.replace(/^keys:/, '').split('.')) {
  value = value !== null && typeof value === 'object' ? value[part] : undefined;
}
if (keysOnly) {
  if (value && typeof value === 'object') for (const key of Object.keys(value)) console.log(key);
} else if (typeof value === 'string' || typeof value === 'number') {
  console.log(String(value));
}
