#!/usr/bin/env bash
# Ensures what the platform needs on the host: Debian packages (Docker engine, etcd, image registry, git, debootstrap,
# the Kubernetes test cluster's containerd and CNI plugins), a running Docker engine, npm dependencies and the
# TypeScript build. Idempotent and quick when all is there.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib.sh"

need_pkgs=()
command -v dockerd >/dev/null || need_pkgs+=(docker.io)
command -v etcd >/dev/null || need_pkgs+=(etcd-server)
command -v docker-registry >/dev/null || need_pkgs+=(docker-registry)
command -v git >/dev/null || need_pkgs+=(git)
command -v debootstrap >/dev/null || need_pkgs+=(debootstrap)
command -v openssl >/dev/null || need_pkgs+=(openssl)
command -v ssh >/dev/null || need_pkgs+=(openssh-client)
command -v curl >/dev/null || need_pkgs+=(curl)
command -v awk >/dev/null || need_pkgs+=(mawk)
# The host install (scripts/install.sh) and its test: systemd's unit checker (the package only; init stays as it is)
# and logrotate.
command -v systemd-analyze >/dev/null || need_pkgs+=(systemd)
command -v logrotate >/dev/null || need_pkgs+=(logrotate)
command -v chromium >/dev/null || need_pkgs+=(chromium) # the web console's end-to-end tests drive it (test/e2e/)
# The Kubernetes test cluster (scripts/k8s-up.sh, docs/architecture.md §6.3): its container runtime, CNI plugins,
# firewall tools and the compiler of its pause image.
command -v containerd >/dev/null || need_pkgs+=(containerd)
command -v runc >/dev/null || need_pkgs+=(runc)
[ -x /usr/lib/cni/bridge ] || need_pkgs+=(containernetworking-plugins)
command -v iptables >/dev/null || need_pkgs+=(iptables)
command -v nft >/dev/null || need_pkgs+=(nftables)
command -v nsenter >/dev/null || need_pkgs+=(util-linux)
command -v gcc >/dev/null || need_pkgs+=(gcc libc6-dev)
for extra in ${YB_EXTRA_PACKAGES:-}; do dpkg -s "$extra" >/dev/null 2>&1 || need_pkgs+=("$extra"); done
if [ ${#need_pkgs[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "missing packages: ${need_pkgs[*]} (run as root, or install them with apt-get)"
  step "installing Debian packages: ${need_pkgs[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  if [ -n "${DOCKER_HOST:-}" ]; then die "no Docker engine answers at DOCKER_HOST=$DOCKER_HOST"; fi
  step "starting the Docker engine (dockerd)"
  mkdir -p /var/log
  # Its own session: the engine is a system service, not a child of whoever ran this (a Ctrl-C on `npm start`
  # or the end of a test job must not take every container down with it). live-restore: containers keep running
  # while the engine restarts (docs/architecture.md §6.1); dockerd refuses the flag when daemon.json sets it too.
  live_restore=(--live-restore)
  if grep -qs '"live-restore"' /etc/docker/daemon.json; then live_restore=(); fi
  setsid nohup dockerd "${live_restore[@]}" >/var/log/yunbang-dockerd.log 2>&1 < /dev/null &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || die "dockerd did not come up; see /var/log/yunbang-dockerd.log"
elif [ "$(docker info --format '{{.LiveRestoreEnabled}}' 2>/dev/null)" = false ]; then
  note "the running Docker engine has live-restore off: apps stop while it restarts (set \"live-restore\": true in /etc/docker/daemon.json)"
fi

cd "$here"
use_pinned_node
# Keyed by the runtime too: native addons (ssh2's crypto binding) are built for one Node ABI.
lock_hash=$( { cat package-lock.json; echo "node $YB_NODE_VERSION"; } | sha256sum | cut -c1-16)
if [ ! -d node_modules ] || [ "$(cat node_modules/.yb-lock 2>/dev/null)" != "$lock_hash" ]; then
  step "installing npm dependencies"
  npm_ci_pinned
  echo "$lock_hash" > node_modules/.yb-lock
fi
src_hash=$( { find src bin bench test -name '*.ts' -not -path 'test/fixtures/*' -type f -print0 | sort -z | xargs -0 cat; cat tsconfig.json; } | sha256sum | cut -c1-16)
if [ ! -d dist ] || [ "$(cat dist/.yb-src 2>/dev/null)" != "$src_hash" ]; then
  step "compiling TypeScript"
  # Compile beside, then swap, so a running platform or test never sees a half-written dist/.
  tmp="dist.tmp.$$"
  rm -rf "$tmp"
  npx tsc -p tsconfig.json --outDir "$tmp" || { rm -rf "$tmp"; die "TypeScript compilation failed"; }
  echo "$src_hash" > "$tmp/.yb-src"
  rm -rf dist.old && { [ ! -d dist ] || mv dist dist.old; } && mv "$tmp" dist && rm -rf dist.old
fi

# The web console (console/, its own package.json and lock: docs/architecture.md §8), type-checked against the API's
# generated types and built by Vite only when its sources change; swapped in whole like dist/.
console_hash=$( { find console -path console/node_modules -prune -o -path 'console/dist*' -prune -o -type f -print0 | sort -z | xargs -0 cat; } | sha256sum | cut -c1-16)
if [ ! -f console/dist/index.html ] || [ "$(cat console/dist/.yb-src 2>/dev/null)" != "$console_hash" ]; then
  step "building the web console"
  console_lock=$(sha256sum console/package-lock.json | cut -c1-16)
  if [ "$(cat console/node_modules/.yb-lock 2>/dev/null)" != "$console_lock" ]; then
    (cd console && npm ci --no-audit --no-fund --loglevel=error) && echo "$console_lock" > console/node_modules/.yb-lock
  fi
  tmp="dist.tmp.$$"
  (cd console && rm -rf "$tmp" && npx --no-install tsc -p tsconfig.json && npx --no-install vite build --outDir "$tmp") \
    || { rm -rf "console/$tmp"; die "building the web console failed"; }
  echo "$console_hash" > "console/$tmp/.yb-src"
  rm -rf console/dist.old && { [ ! -d console/dist ] || mv console/dist console/dist.old; } && mv "console/$tmp" console/dist && rm -rf console/dist.old
fi

# The S3-compatible server of the off-site backup tests (scripts/s3/build.sh, docs/architecture.md §5.4): built once per
# machine from the Go module proxy and cached; without Go the platform runs, only those tests cannot.
if command -v go >/dev/null || [ -x /usr/local/go/bin/go ]; then
  bash scripts/s3/build.sh >/dev/null
else
  note "Go is not installed: the S3 test server (versitygw) is not built, so the off-site backup tests cannot run"
fi
