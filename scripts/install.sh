#!/usr/bin/env bash
# Installs Yunbang on this host as a service (docs/operating.md "Host install"): the compiled platform with its
# production dependencies and the pinned Node.js under PREFIX, `yb` on PATH, /etc/yunbang/yunbang.env (never
# overwritten), the systemd units yunbang-etcd, yunbang-router and yunbang, and /etc/logrotate.d/yunbang.
# Re-running upgrades in place and keeps data and config.
# Usage: bash scripts/install.sh [--prefix /opt/yunbang] [--root DIR]   (DIR: install into another root, no systemctl)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib.sh"
cd "$here"

prefix=/opt/yunbang
root=/
while [ $# -gt 0 ]; do
  case $1 in
    --prefix) prefix=${2:?--prefix needs a directory}; shift 2 ;;
    --root) root=${2:?--root needs a directory}; shift 2 ;;
    *) die "unknown option $1 (usage: scripts/install.sh [--prefix /opt/yunbang] [--root DIR])" ;;
  esac
done
root=$(install_root "$prefix" "$root")
live=$([ -z "$root" ] && [ -d /run/systemd/system ] && echo yes || echo no) # systemd runs this machine: use systemctl

# On this machine (not into another root), the Debian packages, the Docker engine, the build and the base images the
# platform needs; into another root, the build only (the image or test that uses that root brings the rest).
if [ -z "$root" ]; then
  [ "$(id -u)" = 0 ] || die "run as root: the install writes $prefix, /etc and /usr/local/bin"
  bash scripts/prereqs.sh
  bash scripts/build-images.sh
elif [ ! -f dist/bin/ybd.js ] || [ ! -f console/dist/index.html ]; then
  bash scripts/prereqs.sh
fi
# The prefix is replaced whole: only an earlier install (or nothing, or an empty directory) may be there.
if [ -d "$root$prefix" ] && [ -n "$(ls -A "$root$prefix")" ] && { [ ! -f "$root$prefix/bin/yb" ] || [ ! -f "$root$prefix/dist/bin/ybd.js" ]; }; then
  die "$root$prefix exists and is not a Yunbang install (no bin/yb and dist/bin/ybd.js); choose another --prefix"
fi
use_pinned_node
version=$(node -p 'require("./package.json").version')
dest="$root$prefix"
step "installing Yunbang $version into ${root:-/} (prefix $prefix)"

# The new tree is assembled beside the old one, then swapped in: a running ybd keeps its open files until restarted.
stage="$dest.new.$$"
trap 'rm -rf "$stage" "$dest.old.$$"' EXIT
mkdir -p "$stage/node/bin" "$stage/node/lib/node_modules" "$stage/dist" "$stage/console" "$stage/bin"
runtime=$(node_runtime_dir)
cp -a "$runtime/bin/node" "$stage/node/bin/"
cp -a "$runtime/lib/node_modules/npm" "$stage/node/lib/node_modules/"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$stage/node/bin/npm"
cp -a package.json package-lock.json buildpacks images templates "$stage/"
cp -a dist/bin dist/src "$stage/dist/"
cp -a console/dist "$stage/console/"
# Production dependencies: reused from the installed tree when the lock file and the runtime are the same (a re-run
# is then quick and offline), else installed with native addons built for the pinned runtime.
if [ -d "$dest/node_modules" ] && cmp -s package-lock.json "$dest/package-lock.json" && cmp -s "$runtime/bin/node" "$dest/node/bin/node"; then
  cp -a "$dest/node_modules" "$stage/"
else
  (cd "$stage" && npm_ci_pinned --omit=dev >/dev/null)
fi
# yb on the Node.js beside it, found through its own path, so the link in /usr/local/bin works from any root.
cat > "$stage/bin/yb" <<'LAUNCHER'
#!/bin/sh
# yb, the Yunbang CLI, on the Node.js installed beside it (scripts/install.sh); /usr/local/bin/yb links here.
prefix=$(dirname "$(dirname "$(readlink -f "$0")")")
exec "$prefix/node/bin/node" "$prefix/dist/bin/yb.js" "$@"
LAUNCHER
chmod 755 "$stage/bin/yb"
chmod -R go-w "$stage"
chmod 755 "$stage"
mkdir -p "$(dirname "$dest")"
# A re-run with nothing new (program or units) leaves the running units alone; an upgrade restarts them (below).
changed=yes
if [ -d "$dest" ] && diff -rq --no-dereference "$dest" "$stage" >/dev/null 2>&1; then changed=no; fi
if [ -d "$dest" ]; then mv -T "$dest" "$dest.old.$$"; fi
mv -T "$stage" "$dest"
rm -rf "$dest.old.$$"
mkdir -p "$root/usr/local/bin"
ln -sfn "$prefix/bin/yb" "$root/usr/local/bin/yb"

# State, logs and config; existing ones are kept as they are.
install -d -m 700 "$root/var/lib/yunbang" "$root/var/lib/yunbang/etcd" "$root/etc/yunbang"
install -d -m 750 "$root/var/log/yunbang"
env_new=$(mktemp)
# The settings file, generated from the schema by the installed code (src/config/env-file.ts).
"$dest/node/bin/node" --input-type=module -e '
  const { envFile } = await import(process.argv[1]);
  const client = "http://127.0.0.1:2379", peer = "http://127.0.0.1:2380";
  process.stdout.write(envFile(
    { YB_DATA_DIR: "/var/lib/yunbang", YB_LOG_DIR: "/var/log/yunbang", YB_ETCD_ENDPOINTS: client },
    [
      { name: "ETCD_NAME", value: "yunbang", comment: "The yunbang-etcd unit (Debian etcd, read as ETCD_* variables): one member on loopback. YB_ETCD_ENDPOINTS above must name its client URL." },
      { name: "ETCD_DATA_DIR", value: "/var/lib/yunbang/etcd", comment: "Its data; the unit may write nowhere else." },
      { name: "ETCD_LISTEN_CLIENT_URLS", value: client, comment: "Client URL: loopback only (etcd has no authentication here)." },
      { name: "ETCD_ADVERTISE_CLIENT_URLS", value: client, comment: "The same." },
      { name: "ETCD_LISTEN_PEER_URLS", value: peer, comment: "Peer URL of the single member: loopback only." },
      { name: "ETCD_INITIAL_ADVERTISE_PEER_URLS", value: peer, comment: "The same." },
      { name: "ETCD_INITIAL_CLUSTER", value: `yunbang=${peer}`, comment: "The cluster of this one member." },
      { name: "ETCD_AUTO_COMPACTION_RETENTION", value: "1", comment: "Hours of history kept, as for the embedded etcd of npm start." },
      { name: "ETCD_QUOTA_BACKEND_BYTES", value: String(2 * 1024 ** 3), comment: "Database size limit (2 GiB), as for the embedded etcd." },
      { name: "ETCD_LOGGER", value: "zap", comment: "etcd logs to the journal (journalctl -u yunbang-etcd), warnings and errors only." },
      { name: "ETCD_LOG_LEVEL", value: "warn", comment: "The same." },
    ],
  ));
' "$dest/dist/src/config/env-file.js" > "$env_new"
envf="$root/etc/yunbang/yunbang.env"
if [ ! -f "$envf" ]; then
  install -m 600 "$env_new" "$envf"
  note "wrote $envf"
elif cmp -s "$env_new" "$envf"; then
  rm -f "$envf.new"
else
  install -m 600 "$env_new" "$envf.new"
  note "kept $envf; this version's defaults are in $envf.new (diff them)"
fi
rm -f "$env_new"

# The units, naming the prefix.
# Where systemd looks for the units of locally installed programs: /etc/systemd/system stays the operator's, for
# drop-ins and masks (`systemctl mask yunbang-etcd` with an external etcd).
unitdir="$root/usr/local/lib/systemd/system"
mkdir -p "$unitdir"
for unit in yunbang-etcd.service yunbang-router.service yunbang.service; do
  sed "s#@PREFIX@#$prefix#g" "scripts/systemd/$unit" > "$unitdir/$unit.tmp"
  chmod 644 "$unitdir/$unit.tmp"
  cmp -s "$unitdir/$unit.tmp" "$unitdir/$unit" || changed=yes
  mv "$unitdir/$unit.tmp" "$unitdir/$unit"
done

# Log rotation, for logrotate (a Debian machine runs it daily).
install -d "$root/etc/logrotate.d"
install -m 644 scripts/systemd/logrotate.conf "$root/etc/logrotate.d/yunbang"

if [ "$live" = yes ]; then
  systemctl daemon-reload
  systemctl enable --quiet yunbang-router.service yunbang.service
  # A masked yunbang-etcd means an external etcd (docs/operating.md): left alone.
  if [ "$(systemctl is-enabled yunbang-etcd.service 2>/dev/null)" != masked ]; then
    systemctl enable --quiet yunbang-etcd.service
    systemctl start yunbang-etcd.service
  fi
  if [ "$changed" = yes ]; then
    # New code: the router restarts (requests fail for up to a second, docs/operating.md), ybd too (none fail).
    systemctl restart yunbang-router.service yunbang.service
  else
    systemctl start yunbang-router.service yunbang.service
  fi
  note "started: systemctl status yunbang yunbang-router yunbang-etcd; the admin token is in /var/lib/yunbang/admin-token"
else
  [ "$changed" = no ] && note "the installed program and units were already these"
  note "installed; with systemd: systemctl daemon-reload && systemctl enable --now yunbang-etcd yunbang-router yunbang"
fi
