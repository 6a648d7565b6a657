#!/usr/bin/env bash
# Makes the test cluster's sandbox image (docs/architecture.md §6.3) as a `docker save`-format tarball: one layer holding
# images/pause/pause.c built static with gcc. No public registry is reachable here, so containerd imports it
# (`ctr -n k8s.io images import`). Prints the tarball's path; rebuilt only when the source changes.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/scripts/lib.sh"
. "$here/scripts/k8s/lib.sh"
src=$here/images/pause/pause.c
hash=$(sha256sum "$src" | cut -c1-12)
out=$K8S_STATE/pause-$hash.tar
if [ -f "$out" ]; then echo "$out"; exit 0; fi
command -v gcc >/dev/null || die "gcc is needed to build the cluster's pause image (apt-get install gcc libc6-dev)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/rootfs" "$work/image"
gcc -static -Os -o "$work/rootfs/pause" "$src"
# Fixed owner and time: the same source gives the same layer digest on every machine.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$work/rootfs" -cf "$work/layer.tar" pause
layer=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
mv "$work/layer.tar" "$work/image/$layer.tar"
printf '{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/pause"],"User":"65535:65535"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created_by":"images/pause/pause.c"}]}' \
  "$layer" > "$work/config.json"
config=$(sha256sum "$work/config.json" | cut -d' ' -f1)
mv "$work/config.json" "$work/image/$config.json"
printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s.tar"]}]' "$config" "$K8S_PAUSE_IMAGE" "$layer" > "$work/image/manifest.json"
mkdir -p "$K8S_STATE"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$work/image" -cf "$out.tmp" .
mv "$out.tmp" "$out"
echo "$out"
