#!/usr/bin/env bash
# Removes what scripts/install.sh installed: the units (stopped first), PREFIX, the yb link and the logrotate entry.
# Keeps the platform's state (/var/lib/yunbang), settings (/etc/yunbang) and logs (/var/log/yunbang) unless --purge.
# App and service containers on the Docker engine are left alone either way (destroy the apps first to remove them).
# Usage: bash scripts/uninstall.sh [--prefix /opt/yunbang] [--root DIR] [--purge]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib.sh"

prefix=/opt/yunbang
root=/
purge=no
while [ $# -gt 0 ]; do
  case $1 in
    --prefix) prefix=${2:?--prefix needs a directory}; shift 2 ;;
    --root) root=${2:?--root needs a directory}; shift 2 ;;
    --purge) purge=yes; shift ;;
    *) die "unknown option $1 (usage: scripts/uninstall.sh [--prefix /opt/yunbang] [--root DIR] [--purge])" ;;
  esac
done
root=$(install_root "$prefix" "$root")
# Only a tree install.sh made: it has the launcher and the compiled control plane.
if [ -d "$root$prefix" ] && { [ ! -f "$root$prefix/bin/yb" ] || [ ! -f "$root$prefix/dist/bin/ybd.js" ]; }; then
  die "$root$prefix does not look like a Yunbang install (no bin/yb and dist/bin/ybd.js); nothing removed"
fi

units=(yunbang.service yunbang-router.service yunbang-etcd.service)
if [ -z "$root" ] && [ -d /run/systemd/system ]; then
  step "stopping and disabling ${units[*]}"
  systemctl disable --now --quiet "${units[@]}" 2>/dev/null || true # some may never have been enabled
fi
for unit in "${units[@]}"; do rm -f "$root/usr/local/lib/systemd/system/$unit"; done
rm -f "$root/etc/logrotate.d/yunbang"
[ -z "$root" ] && [ -d /run/systemd/system ] && systemctl daemon-reload
if [ "$(readlink "$root/usr/local/bin/yb" 2>/dev/null)" = "$prefix/bin/yb" ]; then rm -f "$root/usr/local/bin/yb"; fi
rm -rf "$root$prefix"
step "removed $root$prefix and the units"
if [ "$purge" = yes ]; then
  rm -rf "$root/var/lib/yunbang" "$root/etc/yunbang" "$root/var/log/yunbang"
  note "purged $root/var/lib/yunbang, $root/etc/yunbang and $root/var/log/yunbang"
else
  note "kept $root/var/lib/yunbang (state), $root/etc/yunbang (settings) and $root/var/log/yunbang (logs); --purge removes them"
fi
