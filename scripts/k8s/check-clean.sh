#!/usr/bin/env bash
# Proves that scripts/k8s-down.sh leaves the host as scripts/k8s-up.sh found it (docs/architecture.md §6.3): snapshots
# iptables, ip6tables, nftables, links, network namespaces, mounts, cgroups and kubelet's sysctls, runs up, starts a pod
# on every node (mounts, pod namespaces, CNI chains), runs down, and compares. Other users' Docker links and rules are
# filtered out (the machine is shared). Exits 1 and prints the differences if anything was left behind.
# Usage: check-clean.sh [--nodes 1|2]. Stops a running test cluster first, and leaves it down.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/scripts/lib.sh"
. "$here/scripts/k8s/lib.sh"
nodes=2
[ "${1:-}" = --nodes ] && nodes=${2:-2}
bash "$here/scripts/k8s-down.sh" >/dev/null 2>&1 || true
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
docker_noise='docker0|br-[0-9a-f]{12}|DOCKER|packets [0-9]+ bytes [0-9]+'
snapshot() {
  { iptables-save; ip6tables-save; } 2>/dev/null | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//' | grep -Ev "$docker_noise" > "$work/$1.iptables" || true
  nft list ruleset 2>/dev/null | grep -Ev "$docker_noise" > "$work/$1.nft" || true
  ip -o link | grep -Ev "$docker_noise" | awk -F': ' '{print $2}' | sed 's/@.*//' | sort > "$work/$1.links" || true
  ip netns list | sort > "$work/$1.netns"
  findmnt -rn -o TARGET | grep -Ev '^/var/lib/docker|^/run/docker' | sort > "$work/$1.mounts" || true
  find /sys/fs/cgroup -maxdepth 2 -name "$K8S_CGROUP_PREFIX*" | sort > "$work/$1.cgroups"
  sysctl vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys \
    kernel.keys.root_maxbytes net.ipv4.conf.all.route_localnet > "$work/$1.sysctl"
}
snapshot before
bash "$here/scripts/k8s-up.sh" --nodes "$nodes" >/dev/null
kubectl=$(bash "$here/scripts/k8s/build.sh" | tail -n 1)/kubectl
export KUBECONFIG
KUBECONFIG=$(sed -n 's/^YB_KUBECONFIG=//p' "$K8S_ENV_FILE")
"$kubectl" create namespace yb-check-clean >/dev/null
for _ in $(seq 100); do "$kubectl" -n yb-check-clean get serviceaccount default >/dev/null 2>&1 && break; sleep 0.2; done
for n in $(seq 1 "$nodes"); do
  # The pause image is on every node already: a pod with a service-account volume, a pod namespace and CNI state.
  "$kubectl" -n yb-check-clean run "p$n" --image="$K8S_PAUSE_IMAGE" --image-pull-policy=Never \
    --overrides="{\"apiVersion\":\"v1\",\"spec\":{\"nodeName\":\"$(k8s_node_name "$n")\"}}" >/dev/null
done
"$kubectl" -n yb-check-clean wait --for=condition=Ready pod --all --timeout=90s >/dev/null
snapshot during
bash "$here/scripts/k8s-down.sh" >/dev/null 2>&1
snapshot after
failed=0
for part in iptables nft links netns mounts cgroups sysctl; do
  if ! diff -u "$work/before.$part" "$work/after.$part" > "$work/diff.$part"; then
    printf 'error: k8s-down.sh left %s behind:\n' "$part" >&2
    cat "$work/diff.$part" >&2
    failed=1
  fi
done
changed=$(for part in iptables links netns mounts cgroups; do diff -q "$work/before.$part" "$work/during.$part" >/dev/null || echo "$part"; done | tr '\n' ' ')
[ -n "$changed" ] || die "the cluster changed nothing on the host while up; this check would prove nothing"
[ "$failed" = 0 ] || exit 1
step "k8s-down.sh left the host as k8s-up.sh found it (checked: iptables, nftables, links, netns, mounts, cgroups, sysctls; the cluster had changed: $changed)"
