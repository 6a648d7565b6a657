#!/usr/bin/env bash
# Builds the platform image yunbang/platform:<version> (and :latest) from the top-level Dockerfile: assembles its
# context from the pinned Node.js runtime and the compiled platform with production dependencies only, on the
# stack image that scripts/build-images.sh made (no registry pull). Usage: bash scripts/build-platform-image.sh
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib.sh"
cd "$here"
bash scripts/prereqs.sh
use_pinned_node
docker image inspect yunbang/stack:latest >/dev/null 2>&1 || die "yunbang/stack is missing: run 'npm start' or scripts/build-images.sh first"
version=$(node -p 'require("./package.json").version')
ctx=$(mktemp -d /var/tmp/yb-platform.XXXXXX)
trap 'rm -rf "$ctx"' EXIT
step "assembling the platform image's context"
runtime=$(node_runtime_dir)
mkdir -p "$ctx/node/bin" "$ctx/node/lib/node_modules" "$ctx/app/dist"
cp -a "$runtime/bin/node" "$ctx/node/bin/"
cp -a "$runtime/lib/node_modules/npm" "$ctx/node/lib/node_modules/"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$ctx/node/bin/npm"
cp -a package.json package-lock.json buildpacks templates "$ctx/app/"
mkdir -p "$ctx/app/images" && cp -a images/services "$ctx/app/images/"
cp -a dist/bin dist/src "$ctx/app/dist/"
# The web console, served by ybd from console/dist beside dist/ (src/api/console-static.ts).
[ -f console/dist/index.html ] || die "the web console is not built: run scripts/prereqs.sh first"
mkdir -p "$ctx/app/console" && cp -a console/dist "$ctx/app/console/"
# Names the copy of the buildpacks the entry point keeps under the data volume: a new image with other buildpacks gets its own.
find buildpacks -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16 > "$ctx/app/.yb-buildpacks"
# Production dependencies only; native addons are built here for the pinned runtime (the image has no compiler).
(cd "$ctx/app" && npm_ci_pinned --omit=dev >/dev/null)
cp Dockerfile "$ctx/" && cp images/platform/entrypoint "$ctx/entrypoint"
step "building yunbang/platform:$version"
previous=$(docker image inspect -f '{{.Id}}' "yunbang/platform:$version" 2>/dev/null || true)
docker build -q -t "yunbang/platform:$version" -t yunbang/platform:latest --label yunbang.owned=true "$ctx" >/dev/null
current=$(docker image inspect -f '{{.Id}}' "yunbang/platform:$version")
# The image this build replaced (ours, now untagged) goes, unless a container still uses it.
if [ -n "$previous" ] && [ "$previous" != "$current" ]; then docker rmi "$previous" >/dev/null 2>&1 || true; fi
note "built yunbang/platform:$version ($current)"
