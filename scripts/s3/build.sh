#!/usr/bin/env bash
# Ensures the S3-compatible server the off-site backup tests run against (docs/architecture.md §5.4): versitygw, the
# Versity S3 gateway (Apache-2.0, maintained; a posix directory as its store), built once per machine from the Go module
# proxy with `go install` (its go.mod has no replace directives) into the host-wide cache, keyed by a hash of this
# recipe. Prints the binary's path on stdout; everything else goes to stderr. ~2 min cold on 2 cores.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/scripts/lib.sh"

S3_MODULE=github.com/versity/versitygw
S3_VERSION=v1.8.0
S3_LDFLAGS="-s -w"
recipe() { printf '%s@%s\n%s\nCGO_ENABLED=0 -trimpath\n' "$S3_MODULE" "$S3_VERSION" "$S3_LDFLAGS"; }
hash=$(recipe | sha256sum | cut -c1-12)
dir="${XDG_CACHE_HOME:-$HOME/.cache}/yunbang/versitygw-$S3_VERSION-$hash"
bin="$dir/bin/versitygw"
if [ -x "$bin" ] && [ -f "$dir/bin/.complete" ]; then echo "$bin"; exit 0; fi

command -v go >/dev/null || [ -x /usr/local/go/bin/go ] || die "Go (≥ 1.25) is needed once to build the S3 test server versitygw $S3_VERSION (install golang from go.dev)"
export PATH="$PATH:/usr/local/go/bin"
export CGO_ENABLED=0
tmp="$dir.tmp.$$"
rm -rf "$tmp" && mkdir -p "$tmp/bin"
trap 'rm -rf "$tmp"' EXIT
step "building versitygw $S3_VERSION from the Go module proxy into $dir (once per machine; ~2 min cold)" >&2
started=$(date +%s)
GOBIN="$tmp/bin" GOFLAGS=-mod=mod go install -trimpath -ldflags "$S3_LDFLAGS" "$S3_MODULE/cmd/versitygw@$S3_VERSION" >&2 \
  || die "building versitygw failed (see above)"
"$tmp/bin/versitygw" --version >/dev/null 2>&1 || die "the built versitygw does not run"
touch "$tmp/bin/.complete"
rm -rf "$dir" && mv -T "$tmp" "$dir"
trap - EXIT
step "built versitygw $S3_VERSION in $(( $(date +%s) - started )) s (first build on this machine)" >&2
echo "$bin"
