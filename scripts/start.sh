#!/usr/bin/env bash
# `npm start`: ensures everything the platform needs on this machine (packages, Docker engine, npm deps,
# TypeScript build, base images), links the `yb` command, then runs the control plane in the foreground;
# it starts the embedded etcd and the router process. Ctrl-C stops all of it.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib.sh"
cd "$here"
bash scripts/prereqs.sh
bash scripts/build-images.sh
chmod +x dist/bin/yb.js dist/bin/ybd.js dist/bin/yb-router.js
if [ -w /usr/local/bin ] && [ "$(readlink /usr/local/bin/yb 2>/dev/null)" != "$here/dist/bin/yb.js" ]; then
  ln -sf "$here/dist/bin/yb.js" /usr/local/bin/yb && note "linked the yb command into /usr/local/bin"
fi
step "starting Yunbang"
exec node dist/bin/ybd.js
