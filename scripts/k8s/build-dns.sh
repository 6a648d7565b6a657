#!/usr/bin/env bash
# Ensures the test cluster's DNS server (CoreDNS, docs/architecture.md §6.3) in the host-wide cache, built from the Go
# module proxy with the recipe in scripts/k8s/lib.sh (a fresh machine pays one build of a few minutes). Prints the
# cache's bin directory on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/scripts/lib.sh"
. "$here/scripts/k8s/lib.sh"

bin=$(coredns_bin_dir)
if [ -x "$bin/coredns" ] && [ -f "$bin/.complete" ]; then echo "$bin"; exit 0; fi

command -v go >/dev/null || [ -x /usr/local/go/bin/go ] || die "Go is needed once to build CoreDNS $COREDNS_VERSION (install golang ≥ 1.25)"
export PATH="$PATH:/usr/local/go/bin"
export CGO_ENABLED=0
dir=$(dirname "$bin")
tmp="$dir.tmp.$$"
rm -rf "$tmp" && mkdir -p "$tmp/src" "$tmp/bin"
trap 'rm -rf "$tmp"' EXIT
coredns_recipe_mod > "$tmp/src/go.mod"
coredns_recipe_main > "$tmp/src/main.go"
step "building CoreDNS $COREDNS_VERSION from the Go module proxy into $dir (once per machine)"
started=$(date +%s)
build() {
  cd "$tmp/src"
  GOFLAGS=-mod=mod go mod tidy
  go build -trimpath -ldflags "-s -w" -o "$tmp/bin/coredns" .
}
go_build_quietly CoreDNS build || true
[ -x "$tmp/bin/coredns" ] || die "building CoreDNS failed (see above)"
touch "$tmp/bin/.complete"
rm -rf "$dir" && mv -T "$tmp" "$dir" && rm -rf "$dir/src"
trap - EXIT
step "built CoreDNS $COREDNS_VERSION in $(( $(date +%s) - started )) s (first build on this machine)"
echo "$bin"
