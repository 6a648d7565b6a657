#!/usr/bin/env bash
# `npm test`: ensures the prerequisites (packages, Docker engine, npm deps, build, base images), then runs the
# whole suite with node's test runner: unit tests first, then integration tests against real etcd, Docker, git.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
bash scripts/prereqs.sh
bash scripts/build-images.sh
mapfile -t unit < <(find test/unit -name '*.test.ts' | sort)
mapfile -t integ < <(find test/integration -name '*.test.ts' | sort)
mapfile -t buildpacks < <(find buildpacks -path '*/test/*.test.js' | sort)
[ ${#unit[@]} -gt 0 ] || { echo "no unit tests found" >&2; exit 1; }
export YB_TEST_RUN_ID="t$(date +%s)$$"
# Integration files run one at a time: they share the Docker engine and the machine's two cores. No single
# test may take more than 15 minutes (a hang fails the run instead of eating CI's time).
node --import tsx --test --test-concurrency=1 --test-timeout=900000 --test-reporter=spec "${unit[@]}" "${buildpacks[@]}" "${integ[@]}"
