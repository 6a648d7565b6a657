#!/usr/bin/env bash
# `npm start`: ensures everything the platform needs on this machine (packages, Docker engine, npm deps,
# TypeScript build, base images; with YB_RUNTIME=kubernetes and no YB_KUBECONFIG, the local Kubernetes test cluster),
# installs the `yb` command, then runs the control plane in the foreground; it starts the embedded etcd and the router
# process. Ctrl-C stops all of it (the test cluster keeps running: scripts/k8s-down.sh removes it).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib.sh"
cd "$here"
bash scripts/prereqs.sh
use_pinned_node # the runtime prereqs.sh ensured, first on PATH for ybd and the router it spawns
bash scripts/build-images.sh
chmod +x dist/bin/yb.js dist/bin/ybd.js dist/bin/yb-router.js
# A two-line launcher rather than a link to yb.js: its `#!/usr/bin/env node` would find the system's (older) Node.
launcher=$(printf '#!/bin/sh\nexec %q %q "$@"\n' "$(command -v node)" "$here/dist/bin/yb.js")
if [ -w /usr/local/bin ] && [ "$(cat /usr/local/bin/yb 2>/dev/null)" != "$launcher" ]; then
  rm -f /usr/local/bin/yb && printf '%s\n' "$launcher" > /usr/local/bin/yb && chmod 755 /usr/local/bin/yb
  note "installed the yb command in /usr/local/bin (runs on Node.js $YB_NODE_VERSION)"
fi
# YB_RUNTIME=kubernetes with no cluster named: bring up the local test cluster (docs/architecture.md §6.3; the first run
# on a machine builds Kubernetes, ~10 min) and run apps on it, its registry carrying the images to the nodes.
if [ "${YB_RUNTIME:-docker}" = kubernetes ] && [ -z "${YB_KUBECONFIG:-}" ]; then
  bash scripts/k8s-up.sh >/dev/null
  . scripts/k8s/lib.sh
  export YB_KUBECONFIG YB_REGISTRY_URL
  YB_KUBECONFIG=$(sed -n 's/^YB_KUBECONFIG=//p' "$K8S_ENV_FILE")
  # An explicitly set registry wins; the cluster's nodes are configured to pull from the cluster's own.
  YB_REGISTRY_URL=${YB_REGISTRY_URL:-$(sed -n 's/^YB_REGISTRY_URL=//p' "$K8S_ENV_FILE")}
  note "running apps on the local Kubernetes test cluster (YB_KUBECONFIG=$YB_KUBECONFIG, YB_REGISTRY_URL=$YB_REGISTRY_URL)"
fi
step "starting Yunbang"
exec node dist/bin/ybd.js "$@" # "npm start -- restore FILE" restores a backup first (docs/operating.md)
