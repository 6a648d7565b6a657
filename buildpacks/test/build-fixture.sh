#!/usr/bin/env bash
# Builds one fixture app (test/fixtures/apps/<name>) through the platform's build contract (the same docker
# run the control plane uses), and with --run also packs the slug into a run image, starts it and compares
# GET / with the fixture's EXPECTED. For buildpack development; the control plane has its own tests.
# Everything it creates (temp dirs, yunbang-test/* image, container) carries a unique name and is removed.
#
# usage: build-fixture.sh NAME [--run] [--cache DIR] [--env K=V ...]
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
name=$1; shift
run=false cache="" envs=()
while [ "$#" -gt 0 ]; do
  case "$1" in
    --run) run=true ;;
    --cache) cache=$2; shift ;;
    --env) envs+=("$2"); shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
fixture="$repo/test/fixtures/apps/$name"
[ -d "$fixture" ] || { echo "no fixture $fixture" >&2; exit 2; }

id="yb-fixture-$name-$$"
work=$(mktemp -d "/tmp/$id.XXXXXX")
image="yunbang-test/$id"
cleanup() {
  docker rm -f "$id" > /dev/null 2>&1 || true
  docker image rm "$image" > /dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/src" "$work/env" "$work/out"
cp -a "$fixture/." "$work/src/"
[ -n "$cache" ] || cache="$work/cache"
mkdir -p "$cache"
for kv in ${envs[@]+"${envs[@]}"}; do printf '%s' "${kv#*=}" > "$work/env/${kv%%=*}"; done
chown -R 1000:1000 "$work/src" "$work/out" "$cache"

ca=/etc/ssl/certs/ca-certificates.crt
pip_index=$(pip config get global.index-url 2>/dev/null || true)
start=$(date +%s.%N)
status=0
docker run --rm --user 1000:1000 \
  -v "$work/src:/tmp/build" -v "$cache:/tmp/cache" -v "$work/env:/tmp/env:ro" -v "$work/out:/tmp/out" \
  -v "$repo/buildpacks:/buildpacks:ro" -v "$ca:$ca:ro" \
  -e SSL_CERT_FILE=$ca -e NODE_EXTRA_CA_CERTS=$ca -e PIP_CERT=$ca -e GIT_SSL_CAINFO=$ca \
  -e NPM_CONFIG_REGISTRY="$(npm config get registry)" -e PIP_INDEX_URL="$pip_index" \
  -e GOPROXY="$(go env GOPROXY 2>/dev/null || true)" \
  -e STACK=yunbang-bookworm yunbang/builder:latest /buildpacks/bin/build /tmp/build /tmp/cache /tmp/env /tmp/out \
  | sed -u 's/^/remote: /' || status=$?
end=$(date +%s.%N)
printf 'BUILD exit=%s seconds=%.1f\n' "$status" "$(echo "$end - $start" | bc)"
for f in "$work/out"/*; do [ -f "$f" ] && { echo "== ${f##*/}"; cat "$f"; }; done
[ "$status" -eq 0 ] || exit "$status"
$run || exit 0

printf 'FROM yunbang/stack:latest\nCOPY --chown=1000:1000 . /app\nUSER yb\n' > "$work/Dockerfile.run"
echo "== slug: $(du -sh "$work/src" | cut -f1)"
docker build -q -f "$work/Dockerfile.run" -t "$image" "$work/src" > /dev/null 2>&1
web=$(node -e 'const r=require(process.argv[1]);process.stdout.write(r.processTypes.web||"")' "$work/out/result.json")
runenv=()
for kv in ${envs[@]+"${envs[@]}"}; do runenv+=(-e "$kv"); done
docker run -d --name "$id" -p 127.0.0.1::5000 -e PORT=5000 ${runenv[@]+"${runenv[@]}"} "$image" yb-launch "$web" > /dev/null
port=$(docker port "$id" 5000/tcp | head -1 | sed 's/.*://')
body=$(curl -fs --retry 20 --retry-all-errors --retry-delay 1 "http://127.0.0.1:$port/" || true)
echo "== GET / -> $body"
expected=$(cat "$fixture/EXPECTED")
t0=$(date +%s.%N); docker stop -t 10 "$id" > /dev/null; t1=$(date +%s.%N)
printf '== stop took %.1fs, exit code %s; logs:\n' "$(echo "$t1 - $t0" | bc)" "$(docker inspect -f '{{.State.ExitCode}}' "$id")"
docker logs "$id" 2>&1 | sed 's/^/   /'
case "$body" in *"$expected"*) echo "PASS $name" ;; *) echo "FAIL $name: expected '$expected'"; exit 1 ;; esac
