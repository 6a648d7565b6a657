#!/usr/bin/env bash
# Removes the Kubernetes test cluster (docs/architecture.md §6.3) and everything scripts/k8s-up.sh made: its processes
# and their containers, mounts, cgroups, iptables chains and rules, bridges, veths, the node network namespaces and the
# host link, and puts back the kernel settings kubelet changed. Docker's own rules and links are left as they were.
# Usage: k8s-down.sh [--keep-data] (keeps certificates, the registry's images and the cached pause image).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib.sh"
. "$here/scripts/k8s/lib.sh"
keep=false
[ "${1:-}" = --keep-data ] && keep=true
[ "$(id -u)" = 0 ] || die "removing the Kubernetes test cluster needs root"
k8s_lock
nodes=$(find "$K8S_STATE" -maxdepth 1 -name 'n[0-9]*' -type d 2>/dev/null | wc -l)
[ "$nodes" -ge 1 ] || nodes=2

# stop PID... — SIGTERM, then SIGKILL after 10 s; waits until they are gone.
stop() {
  local pid deadline
  [ $# -gt 0 ] || return 0
  kill "$@" 2>/dev/null || true
  deadline=$(( $(date +%s) + 10 ))
  for pid in "$@"; do
    while kill -0 "$pid" 2>/dev/null; do
      if [ "$(date +%s)" -ge "$deadline" ]; then kill -9 "$pid" 2>/dev/null || true; fi
      sleep 0.1
    done
  done
}
# Our containerd shims, by pid: their command line carries our containerd's socket (`-address /run/yunbang-k8s/…`).
# The bracket keeps the pattern from matching grep's own command line.
our_shims() {
  local f pid
  for f in /proc/[0-9]*/cmdline; do
    pid=${f#/proc/}; pid=${pid%/cmdline}
    { tr '\0' ' ' < "$f"; } 2>/dev/null | grep -qE "containerd-shim.* [-]address $K8S_RUN/" && echo "$pid"
  done
  return 0
}

# 1. The node agents first (so nothing restarts pods), then every container through each node's containerd.
agents=()
for n in $(seq 1 "$nodes"); do
  for c in "netpol-$n" "kubelet-$n" "kube-proxy-$n"; do k8s_running "$c" && agents+=("$(k8s_pid "$c")"); done
done
stop "${agents[@]}"
netns_paths=()
for n in $(seq 1 "$nodes"); do
  sock=$(k8s_containerd_sock "$n")
  [ -S "$sock" ] && k8s_running "containerd-$n" || continue
  for id in $(ctr -a "$sock" -n k8s.io containers ls -q 2>/dev/null); do
    # The pod network namespaces containerd made (/run/netns/cni-…), removed after their pods are gone.
    path=$(ctr -a "$sock" -n k8s.io containers info "$id" 2>/dev/null | grep -o '"/var/run/netns/cni-[0-9a-f-]*"' | tr -d '"' | head -n 1) || true
    [ -z "$path" ] || netns_paths+=("$path")
    ctr -a "$sock" -n k8s.io tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true
  done
done
# Whatever is left in our cgroups (containers the kills missed), then the shims, then the daemons.
for n in $(seq 1 "$nodes"); do
  mapfile -t left < <(find /sys/fs/cgroup/memory/"$K8S_CGROUP_PREFIX$n" /sys/fs/cgroup/pids/"$K8S_CGROUP_PREFIX$n" \
    -name cgroup.procs -exec cat {} + 2>/dev/null)
  [ ${#left[@]} -eq 0 ] || kill -9 "${left[@]}" 2>/dev/null || true
done
mapfile -t shims < <(our_shims)
daemons=()
for c in coredns kube-scheduler kube-controller-manager kube-apiserver registry etcd $(for n in $(seq 1 "$nodes"); do echo "containerd-$n"; done); do
  k8s_running "$c" && daemons+=("$(k8s_pid "$c")")
done
stop "${shims[@]}" "${daemons[@]}"

# 2. Mounts under our directories (kubelet's volumes, containerd's rootfs and shm), deepest first, and the pod netns.
{ findmnt -rn -o TARGET | grep -E "^($K8S_STATE|$K8S_RUN)(/|$)" || true; } | sort -r | while IFS= read -r m; do
  umount "$m" 2>/dev/null || umount -l "$m"
done
for p in "${netns_paths[@]}"; do
  [ -e "$p" ] || continue
  umount "$p" 2>/dev/null || umount -l "$p" 2>/dev/null || true
  rm -f "$p"
done

# 3. Cgroups: each node's root in every controller, deepest first.
for n in $(seq 1 "$nodes"); do
  for ctl in /sys/fs/cgroup/*/; do
    [ -d "$ctl$K8S_CGROUP_PREFIX$n" ] || continue
    find "$ctl$K8S_CGROUP_PREFIX$n" -depth -type d -exec rmdir {} + 2>/dev/null || true
    [ ! -d "$ctl$K8S_CGROUP_PREFIX$n" ] || note "could not remove cgroup $ctl$K8S_CGROUP_PREFIX$n (still in use)"
  done
done

# 4. iptables: every rule in a built-in chain that jumps to a chain of ours, kube-proxy's, kubelet's or the CNI plugins',
# then those chains. Docker's chains and rules are not touched.
ours='(KUBE-[A-Z0-9-]+|CNI-[A-Za-z0-9-]+|'"$K8S_IPT_PREFIX"'[A-Za-z0-9-]*)'
for cmd in iptables ip6tables; do
  for table in filter nat mangle raw; do
    dump=$("$cmd-save" -t "$table" 2>/dev/null) || continue
    # As iptables-restore input (-D for -A), so iptables itself parses the quoted comments kube-proxy writes.
    jumps=$(grep -E "^-A [A-Z]+ .*-j $ours( |$)" <<<"$dump" | grep -Ev "^-A $ours " | sed 's/^-A /-D /') || true
    [ -z "$jumps" ] || printf '*%s\n%s\nCOMMIT\n' "$table" "$jumps" | "$cmd-restore" -w --noflush || note "could not remove some $cmd $table jumps"
    chains=$(grep -oE "^:$ours " <<<"$dump" | tr -d ': ') || true
    for c in $chains; do "$cmd" -w -t "$table" -F "$c" 2>/dev/null || true; done
    for c in $chains; do "$cmd" -w -t "$table" -X "$c" 2>/dev/null || true; done
  done
done
# Tables that did not exist before the first k8s-up.sh (kube-proxy's and kubelet's ip mangle, ip6 filter/nat/mangle, and
# kube-proxy's nftables probe), once no rule is left in them.
if command -v nft >/dev/null && [ -f "$K8S_STATE/host.saved" ]; then
  nft list tables 2>/dev/null | while read -r _ fam name; do
    grep -qx "table table $fam $name" "$K8S_STATE/host.saved" && continue
    rules=$(nft list table "$fam" "$name" 2>/dev/null | grep -cvE '^\s*(table|chain|type|policy|\}|$)') || true
    [ "$rules" = 0 ] && nft delete table "$fam" "$name"
  done
fi

# 5. Links and namespaces: bridges, veths (their peers go with the namespaces), the host link ybk8s0.
for n in $(seq 1 "$nodes"); do
  ip link delete "$(k8s_bridge "$n")" 2>/dev/null || true
  ip link delete "$(k8s_veth_host "$n")" 2>/dev/null || true
  ip netns delete "$(k8s_netns "$n")" 2>/dev/null || true
done
ip link delete "$K8S_HOST_LINK" 2>/dev/null || true
# The pod veths on node 1's bridge went with the pods' namespaces; any left over are named veth… and enslaved to nothing.

# `ip netns add` mounted /run/netns (and may have made it): undo that once no namespace is left in it.
if [ -f "$K8S_STATE/host.saved" ] && [ -z "$(ls -A /run/netns 2>/dev/null)" ]; then
  if ! grep -qx "run-netns mounted" "$K8S_STATE/host.saved" && mountpoint -q /run/netns; then umount /run/netns || true; fi
  if ! grep -qx "run-netns exists" "$K8S_STATE/host.saved"; then rmdir /run/netns 2>/dev/null || true; fi
fi
rm -f "$K8S_STATE/host.saved"

# 6. Kernel settings kubelet changed, as they were before the first k8s-up.sh.
if [ -f "$K8S_STATE/sysctl.saved" ]; then
  while IFS= read -r line; do sysctl -qw "$line" || note "could not restore $line"; done < "$K8S_STATE/sysctl.saved"
  rm -f "$K8S_STATE/sysctl.saved"
fi

rm -rf "$K8S_RUN"
if $keep; then
  rm -rf "$K8S_STATE"/n[0-9]* "$K8S_STATE/etcd" "$K8S_LOGS.old" && { [ ! -d "$K8S_LOGS" ] || mv "$K8S_LOGS" "$K8S_LOGS.old"; }
  rm -f "$K8S_ENV_FILE"
else
  rm -rf "$K8S_STATE"
fi
step "the Kubernetes test cluster is down"
