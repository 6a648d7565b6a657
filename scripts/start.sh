#!/usr/bin/env bash
# `npm start`: ensures everything the platform needs on this machine (packages, Docker engine, npm deps,
# TypeScript build, base images), installs the `yb` command, then runs the control plane in the foreground;
# it starts the embedded etcd and the router process. Ctrl-C stops all of it.
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
step "starting Yunbang"
exec node dist/bin/ybd.js
