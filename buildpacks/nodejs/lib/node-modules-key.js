'use strict';
// Decides whether an npm app's node_modules may be reused from its last build, and prints its dependency inputs:
// either "refuse: <reason>" (exit 3), or one "<input> <sha256>" line per input (package.json, the lockfile, .npmrc,
// Node.js, npm, the buildpack, NODE_ENV + npm settings, the machine). Reads only BUILD_DIR's package.json,
// lockfiles and .npmrc (lstat first: a link or a non-file is refused, never read) and the listed buildpack files.
// usage: node node-modules-key.js BUILD_DIR NODE_VERSION NPM_VERSION BUILDPACK_FILE...
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');

const [dir, nodeVersion, npmVersion, ...ownFiles] = process.argv.slice(2);
const sha = (data) => crypto.createHash('sha256').update(data).digest('hex');

// Root scripts npm runs around an install; they may read any source file, so the key cannot cover them.
const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall', 'preprepare', 'prepare', 'postprepare', 'prepublish', 'dependencies'];
// Dependency specs that name a directory of the source (or of the machine) rather than a registry version.
const LOCAL_SPEC = /^(file:|link:|portal:|workspace:|\.{0,2}\/|~\/|\.\.?$)/;

function refuse(reason) {
  process.stdout.write(`refuse: ${reason}\n`);
  process.exit(3);
}

// The bytes of BUILD_DIR/name when it is a plain file; undefined when absent. A link or anything else is refused
// unread (a link could name a file outside the build, a FIFO would never end).
function plainFile(name) {
  let st;
  try {
    st = fs.lstatSync(path.join(dir, name));
  } catch (err) {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  }
  if (!st.isFile()) refuse(`${name} is ${st.isSymbolicLink() ? 'a link' : 'not a regular file'}`);
  return fs.readFileSync(path.join(dir, name));
}

// True when BUILD_DIR/name exists in any form (a link included); nothing is read.
function exists(name) {
  try {
    fs.lstatSync(path.join(dir, name));
    return true;
  } catch (err) {
    if (err.code === 'ENOENT') return false;
    throw err;
  }
}

// True when any object in a lockfile is a link or any string in it names a local directory.
function hasLocalEntry(value) {
  if (typeof value === 'string') return /^(file:|link:)/.test(value);
  if (Array.isArray(value)) return value.some(hasLocalEntry);
  if (value && typeof value === 'object') {
    if (value.link === true) return true;
    return Object.values(value).some(hasLocalEntry);
  }
  return false;
}

if (exists('node_modules')) refuse('the source has its own node_modules');
const pkgBytes = plainFile('package.json');
if (pkgBytes === undefined) refuse('there is no package.json');
let pkg;
try {
  pkg = JSON.parse(pkgBytes.toString('utf8'));
} catch {
  refuse('package.json is not valid JSON');
}
if (!pkg || typeof pkg !== 'object') refuse('package.json is not a JSON object');
const scripts = pkg.scripts && typeof pkg.scripts === 'object' ? pkg.scripts : {};
const lifecycle = INSTALL_SCRIPTS.filter((s) => typeof scripts[s] === 'string' && scripts[s] !== '');
if (lifecycle.length) refuse(`package.json has install scripts (${lifecycle.join(', ')}), which may read any file of the source`);
// npm runs "node-gyp rebuild" as the install script of a package with a binding.gyp and no install script.
if (exists('binding.gyp')) refuse('binding.gyp makes npm build a native addon from the source at install');
if (pkg.workspaces !== undefined) refuse('package.json has workspaces (local packages of the source)');
for (const field of ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies']) {
  const deps = pkg[field] && typeof pkg[field] === 'object' ? pkg[field] : {};
  for (const [name, spec] of Object.entries(deps)) {
    if (typeof spec === 'string' && LOCAL_SPEC.test(spec.trim())) refuse(`${field} "${name}" is a local directory ("${spec}")`);
  }
}

const lines = [`package.json ${sha(pkgBytes)}`];
let locks = 0;
for (const name of ['npm-shrinkwrap.json', 'package-lock.json']) {
  const bytes = plainFile(name);
  if (bytes === undefined) continue;
  locks++;
  let lock;
  try {
    lock = JSON.parse(bytes.toString('utf8'));
  } catch {
    refuse(`${name} is not valid JSON`);
  }
  if (hasLocalEntry(lock)) refuse(`${name} has local links ("link": true or file: entries)`);
  lines.push(`${name} ${sha(bytes)}`);
}
if (!locks) refuse('there is no package-lock.json');
const npmrc = plainFile('.npmrc');
lines.push(`.npmrc ${npmrc === undefined ? 'absent' : sha(npmrc)}`);
lines.push(`node ${nodeVersion}`, `npm ${npmVersion}`);
lines.push(`buildpack ${sha(Buffer.concat(ownFiles.map((f) => fs.readFileSync(f))))}`);
// One hash for all settings: the cache keeps no per-variable trace of a token's value.
const settings = Object.keys(process.env)
  .filter((k) => k === 'NODE_ENV' || /^npm_config_/i.test(k))
  .sort()
  .map((k) => `${k}=${process.env[k]}`);
lines.push(`settings ${sha(settings.join('\0'))}`);
let distro = '';
try {
  distro = fs.readFileSync('/etc/debian_version', 'utf8').trim();
} catch {
  distro = 'unknown';
}
lines.push(`machine ${os.platform()}-${os.machine ? os.machine() : process.arch}-${process.env.STACK || 'nostack'}-${distro}`);
process.stdout.write(`${lines.join('\n')}\n`);
