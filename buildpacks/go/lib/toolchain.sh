# The Go toolchain for a build: the version go.mod asks for (toolchain line, else go line), fetched as the
# module golang.org/toolchain from the Go module proxy (GOPROXY, as the go command itself would under
# GOTOOLCHAIN) and unpacked into CACHE/go/toolchain/<version>, so a warm build downloads nothing.
# Sourced by bin/compile after the read-only build context (BUILD_DIR, CACHE_DIR, TMP_DIR) is set;
# install_go sets GO_VERSION and GO_HOME.

# The first proxy URL in GOPROXY (entries separated by "," or "|"; "direct" and "off" are not proxies).
go_proxy_url() {
  local entry
  local -a entries
  IFS=',|' read -r -a entries <<< "${GOPROXY:-}"
  for entry in "${entries[@]}"; do
    case "$entry" in http://* | https://*) printf '%s\n' "${entry%/}"; return 0 ;; esac
  done
  return 1
}

# Requested version from go.mod: "1.22.5" (exact) or "1.22" (a release line); empty when go.mod names none.
# Without go.mod: Godeps.json's GoVersion (lib/layout.sh).
go_requested_version() {
  local line
  if [ ! -f "$BUILD_DIR/go.mod" ]; then
    go_legacy_version
    return 0
  fi
  line=$(sed -n 's/^[[:space:]]*toolchain[[:space:]]\{1,\}go\([0-9][0-9a-z.]*\).*/\1/p' "$BUILD_DIR/go.mod" | head -n 1)
  [ -n "$line" ] || line=$(sed -n 's/^[[:space:]]*go[[:space:]]\{1,\}\([0-9][0-9a-z.]*\).*/\1/p' "$BUILD_DIR/go.mod" | head -n 1)
  printf '%s\n' "$line"
}

curl_proxy() { curl -fsSL --retry 2 ${SSL_CERT_FILE:+--cacert "$SSL_CERT_FILE"} "$@"; }

# Highest released version (x.y.z, no rc/beta) in the release line $1 ("" = any) known to the proxy.
go_resolve_line() {
  local proxy=$1 line=$2 list
  list=$(curl_proxy "$proxy/golang.org/toolchain/@v/list") || return 1
  printf '%s\n' "$list" | sed -n 's/^v0\.0\.1-go\([0-9]*\.[0-9]*\.[0-9]*\)\.linux-amd64$/\1/p' |
    { if [ -n "$line" ]; then grep "^${line//./\\.}\.[0-9]*$" || true; else cat; fi; } |
    sort -V | tail -n 1
}

install_go() {
  local requested version proxy dir="$CACHE_DIR/go/toolchain" state=cached zip old from=go.mod
  requested=$(go_requested_version)
  [ -f "$BUILD_DIR/go.mod" ] || from="the app (no go.mod)"
  [ -f "$BUILD_DIR/go.mod" ] || [ ! -f "$BUILD_DIR/Godeps/Godeps.json" ] || from=Godeps.json
  yb_topic "Installing Go"
  proxy=$(go_proxy_url) || proxy=""
  case "$requested" in
    '') yb_info "$from names no Go version, using the newest release" ;;
    *[a-z]*) yb_fail "go.mod asks for Go $requested: pre-releases are not supported, use a release version" ;;
    *) yb_info "$from asks for Go $requested" ;;
  esac
  # golang.org/toolchain starts at Go 1.21.0: an older line (a pre-toolchain go.mod, Godeps' go1.6) gets the newest
  # release, whose Go 1 compatibility promise still builds it.
  if [ -n "$requested" ] && [ "$(printf '%s\n' "$requested" 1.21 | sort -V | head -n 1)" != 1.21 ]; then
    yb_info "Go $requested predates the toolchains the module proxy offers (1.21 and later): using the newest release"
    requested=""
  fi
  if [[ $requested =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    version=$requested
  else
    [ -n "$proxy" ] || yb_fail "GOPROXY names no module proxy (${GOPROXY:-unset}): the Go toolchain is fetched from one"
    if ! version=$(go_resolve_line "$proxy" "$requested"); then
      # Offline warm build: the newest toolchain of that line already in the cache will do.
      version=$(find "$dir" -mindepth 1 -maxdepth 1 -name "${requested:-*}*" -printf '%f\n' 2>/dev/null | sort -V | tail -n 1)
      [ -n "$version" ] || yb_fail "could not list Go versions from the module proxy ($proxy)"
      yb_warn "the module proxy could not be asked; using the cached Go $version"
    fi
    [ -n "$version" ] || yb_fail "no released Go version matches \"$requested\" (go.mod) at the module proxy"
  fi

  GO_HOME="$dir/$version"
  if [ ! -x "$GO_HOME/bin/go" ]; then
    state=downloaded
    [ -n "$proxy" ] || yb_fail "GOPROXY names no module proxy (${GOPROXY:-unset}): the Go toolchain is fetched from one"
    zip="$TMP_DIR/go$version.zip"
    curl_proxy -o "$zip" "$proxy/golang.org/toolchain/@v/v0.0.1-go$version.linux-amd64.zip" ||
      yb_fail "could not download Go $version from the module proxy ($proxy): is it a released version?"
    rm -rf "$TMP_DIR/unpack" "$GO_HOME.partial"
    unzip -q "$zip" -d "$TMP_DIR/unpack" || yb_fail "the Go $version toolchain download is not a valid zip"
    rm -f "$zip"
    mkdir -p "$dir"
    mv "$TMP_DIR/unpack/golang.org/toolchain@v0.0.1-go$version.linux-amd64" "$GO_HOME.partial"
    # Module zips carry no file modes: the commands and tools are made executable, as the go command does.
    chmod -R a+x "$GO_HOME.partial/bin" "$GO_HOME.partial/pkg/tool"
    mv "$GO_HOME.partial" "$GO_HOME"
  fi
  for old in "$dir"/*; do [ "$old" = "$GO_HOME" ] || rm -rf -- "$old"; done
  "$GO_HOME/bin/go" version > /dev/null 2>&1 || yb_fail "the Go $version toolchain does not run"
  GO_VERSION=$version
  yb_info "Go $version ($state)"
}
