#!/usr/bin/env bash
# Ensures the Kubernetes binaries of the test cluster (docs/architecture.md §6.3) in the host-wide cache, built from the
# Go module proxy with the recipe in scripts/k8s/lib.sh: a fresh machine pays one build (~10 min cold on 2 cores),
# every later run finds them. Prints the cache's bin directory on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/scripts/lib.sh"
. "$here/scripts/k8s/lib.sh"

bin=$(k8s_bin_dir)
complete() { local c; for c in "${K8S_COMMANDS[@]}"; do [ -x "$1/$c" ] || return 1; done; [ -f "$1/.complete" ]; }
if complete "$bin"; then echo "$bin"; exit 0; fi

command -v go >/dev/null || [ -x /usr/local/go/bin/go ] || die "Go is needed once to build Kubernetes $K8S_VERSION (install golang from go.dev or Debian's golang-go ≥ 1.24)"
export PATH="$PATH:/usr/local/go/bin"
export CGO_ENABLED=0
dir=$(dirname "$bin")
tmp="$dir.tmp.$$"
rm -rf "$tmp" && mkdir -p "$tmp/src" "$tmp/bin"
trap 'rm -rf "$tmp"' EXIT
k8s_recipe > "$tmp/src/go.mod"
printf 'package main\n' > "$tmp/src/main.go" # `go mod tidy` needs a package; the build names its own
step "building Kubernetes $K8S_VERSION (${K8S_COMMANDS[*]}) from the Go module proxy into $dir (once per machine; ~10 min cold)"
started=$(date +%s)
pkgs=()
for c in "${K8S_COMMANDS[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
build() {
  cd "$tmp/src"
  # go.sum is not part of the recipe: the module proxy's checksum database vouches for what `go mod download` fetches.
  go mod download k8s.io/kubernetes
  GOFLAGS=-mod=mod go build -trimpath -ldflags "$(k8s_ldflags)" -o "$tmp/bin/" "${pkgs[@]}"
}
go_build_quietly Kubernetes build || true
for c in "${K8S_COMMANDS[@]}"; do [ -x "$tmp/bin/$c" ] || die "building $c failed (see above)"; done
"$tmp/bin/kubectl" version --client 2>/dev/null | grep -q "$K8S_VERSION" || die "the built kubectl does not report $K8S_VERSION"
touch "$tmp/bin/.complete"
rm -rf "$dir" && mv -T "$tmp" "$dir" && rm -rf "$dir/src"
trap - EXIT
step "built Kubernetes $K8S_VERSION in $(( $(date +%s) - started )) s (first build on this machine)"
echo "$bin"
