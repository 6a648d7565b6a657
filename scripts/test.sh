#!/usr/bin/env bash
# `npm test`: ensures the prerequisites (packages, Docker engine, npm deps, build, base images), checks formatting and lint
# (Biome), brings up the Kubernetes test cluster, then runs the whole suite with node's test runner: unit tests first,
# then integration tests against real etcd, Docker, git and Kubernetes.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
. scripts/lib.sh
bash scripts/prereqs.sh
use_pinned_node # the test runner, and every ybd, router and yb it spawns (process.execPath), on the pinned runtime
# Formatting and lint (biome.json) before the images and the suite: a bad tree fails in seconds, not at the end.
if ! npx --no-install biome ci . --colors=off; then
  echo "error: the formatting/lint check failed (see above); run 'npm run format' to format, and fix what 'npm run lint' reports" >&2
  exit 1
fi
bash scripts/build-images.sh
# The Kubernetes test cluster (docs/architecture.md §6.3; a fresh machine builds Kubernetes first, ~10 min): its
# settings reach the tests under YB_TEST_* names, so the Docker-backend ybds the tests start do not pick them up.
bash scripts/k8s-up.sh >/dev/null
. scripts/k8s/lib.sh
YB_TEST_KUBECONFIG=$(sed -n 's/^YB_KUBECONFIG=//p' "$K8S_ENV_FILE")
YB_TEST_REGISTRY_URL=$(sed -n 's/^YB_REGISTRY_URL=//p' "$K8S_ENV_FILE")
export YB_TEST_KUBECONFIG YB_TEST_REGISTRY_URL
mapfile -t unit < <(find test/unit -name '*.test.ts' | sort)
mapfile -t integ < <(find test/integration -name '*.test.ts' | sort)
mapfile -t e2e < <(find test/e2e -name '*.test.ts' | sort) # the web console in a real browser (chromium)
mapfile -t buildpacks < <(find buildpacks -path '*/test/*.test.js' | sort)
[ ${#unit[@]} -gt 0 ] || { echo "no unit tests found" >&2; exit 1; }
export YB_TEST_RUN_ID="t$(date +%s)$$"
# Integration files start their own platform on free ports, with their own data directory and Docker label, so most
# run side by side: YB_TEST_CONCURRENCY of them at once (default 2; they wait on builds, health checks and proxies
# more than they compute). The files in test/integration/serial.txt run afterwards, alone: they set engine-wide
# state (BuildKit limits), restart engines, or hold requests to "0 failed" under load with timing they prove.
# No single test may take more than 15 minutes (a hang fails the run instead of eating CI's time).
# Every pass runs even when an earlier one failed (CI shows every failure); the script fails if any did.
mapfile -t serial < <(grep -v -e '^#' -e '^[[:space:]]*$' test/integration/serial.txt)
for f in "${serial[@]}"; do [ -f "$f" ] || { echo "error: test/integration/serial.txt lists $f, which does not exist" >&2; exit 1; }; done
parallel=()
for f in "${integ[@]}" "${e2e[@]}"; do
  printf '%s\n' "${serial[@]}" | grep -qxF "$f" || parallel+=("$f")
done
run_tests() { node --import tsx --test --test-timeout=900000 --test-reporter=spec "$@"; }
status=0
run_tests --test-concurrency=1 "${unit[@]}" "${buildpacks[@]}" || status=$?
run_tests --test-concurrency="${YB_TEST_CONCURRENCY:-2}" "${parallel[@]}" || status=$?
run_tests --test-concurrency=1 "${serial[@]}" || status=$?
# The Kubernetes pass (issue #16, docs/architecture.md §6): the files listed once in test/integration/both-backends.txt
# run again with YB_TEST_RUNTIME=kubernetes, on the cluster of YB_TEST_KUBECONFIG / YB_TEST_REGISTRY_URL, probed with
# the cluster's own kubectl (test/helpers/backend.ts).
export YB_TEST_KUBECTL="$(k8s_bin_dir)/kubectl"
mapfile -t both < <(grep -v -e '^#' -e '^[[:space:]]*$' test/integration/both-backends.txt)
for f in "${both[@]}"; do [ -f "$f" ] || { echo "error: test/integration/both-backends.txt lists $f, which does not exist" >&2; exit 1; }; done
YB_TEST_RUNTIME=kubernetes run_tests --test-concurrency=1 "${both[@]}" || status=$?
exit "$status"
