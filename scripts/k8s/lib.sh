# Constants and helpers of the Kubernetes test cluster (docs/architecture.md §6.3), sourced by scripts/k8s-up.sh,
# scripts/k8s-down.sh and the helpers beside this file. Every port, address, directory and name the cluster uses is here,
# so up and down cannot disagree about what the cluster owns.

K8S_VERSION=v1.34.4
K8S_STAGING_VERSION=v0.34.4

K8S_STATE=/var/lib/yunbang-k8s # certificates, kubeconfigs, etcd data, registry storage, node roots, logs
K8S_RUN=/run/yunbang-k8s       # sockets, pid files, containerd state
K8S_LOGS=$K8S_STATE/logs
K8S_ENV_FILE=$K8S_STATE/env # YB_KUBECONFIG and YB_REGISTRY_URL, sourceable

# One fixed range, 26xxx, away from every component's default (2379/2380/5000/6443/8080/10250…).
K8S_ETCD_PORT=26379
K8S_ETCD_PEER_PORT=26380
K8S_API_PORT=26443
K8S_REGISTRY_PORT=26500
K8S_CM_PORT=26257
K8S_SCHED_PORT=26259
K8S_KUBELET_PORT=26250 # per node: each node binds its own node address
K8S_KUBELET_HEALTHZ_PORT=26248
K8S_PROXY_HEALTHZ_PORT=26256
K8S_PROXY_METRICS_PORT=26249

# Addresses. The node network 10.212.0.0/24: the host (node 1, the API server, the registry's DNAT) is 10.212.0.1 on the
# port-less bridge ybk8s0 (this kernel has no dummy links); node N>1 is 10.212.0.N inside its network namespace, joined
# to the host by a veth pair.
K8S_NODE_NET=10.212.0.0/24
K8S_HOST_IP=10.212.0.1
K8S_CLUSTER_CIDR=10.210.0.0/16 # pods; node N gets 10.210.N.0/24
K8S_SERVICE_CIDR=10.211.0.0/24
K8S_SERVICE_IP=10.211.0.1 # the `kubernetes` service
K8S_HOST_LINK=ybk8s0
K8S_NETNS_PREFIX=yb-k8s-n # node 2's network namespace is yb-k8s-n2
K8S_NODE_PREFIX=yb-k8s-   # node names: yb-k8s-1, yb-k8s-2
K8S_CGROUP_PREFIX=yb-k8s-n  # each node's kubelet has its own cgroup root (/yb-k8s-n1, /yb-k8s-n2) so two kubelets on
                            # one host never see each other's pods as orphans
K8S_IPT_PREFIX=YBK8S-        # our own iptables chains
K8S_PAUSE_IMAGE=localhost/yunbang-k8s/pause:1

k8s_node_ip() { if [ "$1" = 1 ]; then echo "$K8S_HOST_IP"; else echo "10.212.0.$1"; fi; }
k8s_pod_cidr() { echo "10.210.$1.0/24"; }
k8s_node_name() { echo "$K8S_NODE_PREFIX$1"; }
k8s_node_dir() { echo "$K8S_STATE/n$1"; }
k8s_node_run() { echo "$K8S_RUN/n$1"; }
k8s_bridge() { echo "ybk8s-br$1"; }
k8s_veth_host() { echo "ybk8s-n$1h"; }
k8s_netns() { echo "$K8S_NETNS_PREFIX$1"; }
k8s_containerd_sock() { echo "$(k8s_node_run "$1")/containerd.sock"; }
# Runs a command in node N's network namespace (node 1 is the host). nsenter rather than `ip netns exec`: the latter
# gives every command its own mount namespace, and kubelet's volume mounts must be visible to containerd's runc.
k8s_in_node() {
  local n=$1; shift
  if [ "$n" = 1 ]; then "$@"; else nsenter --net="/run/netns/$(k8s_netns "$n")" -- "$@"; fi
}

# The binaries: built once per machine from the Go module proxy, cached by version and by a hash of the recipe below.
k8s_recipe() {
  local m
  printf 'module yunbang.local/k8sbuild\n\ngo 1.24.0\n\nrequire k8s.io/kubernetes %s\n\nreplace (\n' "$K8S_VERSION"
  # Every staging module kubernetes' own go.mod replaces (sample-cli-plugin and sample-controller are not served and
  # not needed), pinned to the matching release.
  for m in api apiextensions-apiserver apimachinery apiserver cli-runtime client-go cloud-provider cluster-bootstrap \
    code-generator component-base component-helpers controller-manager cri-api cri-client csi-translation-lib \
    dynamic-resource-allocation endpointslice externaljwt kms kube-aggregator kube-controller-manager kube-proxy \
    kube-scheduler kubectl kubelet metrics mount-utils pod-security-admission sample-apiserver; do
    printf '\tk8s.io/%s => k8s.io/%s %s\n' "$m" "$m" "$K8S_STAGING_VERSION"
  done
  printf ')\n'
}
K8S_COMMANDS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)
k8s_ldflags() {
  local minor=${K8S_VERSION#v1.}
  minor=${minor%%.*}
  echo "-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
}
k8s_bin_dir() {
  local hash
  hash=$( { k8s_recipe; k8s_ldflags; echo "${K8S_COMMANDS[*]}"; } | sha256sum | cut -c1-12)
  echo "${XDG_CACHE_HOME:-$HOME/.cache}/yunbang/kubernetes-$K8S_VERSION-$hash/bin"
}

# The cluster's DNS: CoreDNS with the plugins a cluster DNS add-on uses, built like Kubernetes and cached beside it. It
# runs on the host (node 1's address, which pods on every node reach) and answers <service>.<namespace>.svc.cluster.local,
# so a pod reaches a Service of its namespace by its bare name; other names are forwarded to the host's resolvers.
COREDNS_VERSION=v1.14.7
K8S_DNS_IP=$K8S_HOST_IP
K8S_DNS_HEALTH_PORT=26281
K8S_DNS_READY_PORT=26282
coredns_recipe_mod() { printf 'module yunbang.local/coredns\n\ngo 1.25.0\n\nrequire github.com/coredns/coredns %s\n' "$COREDNS_VERSION"; }
coredns_recipe_main() {
  cat <<'GO'
// CoreDNS with the plugins of a cluster DNS add-on (the Kubernetes test cluster, docs/architecture.md §6.3).
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/forward"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loop"
	_ "github.com/coredns/coredns/plugin/ready"
)

func init() {
	dnsserver.Directives = []string{"bind", "errors", "health", "ready", "cache", "loop", "kubernetes", "forward"}
}

func main() { coremain.Run() }
GO
}
coredns_bin_dir() {
  local hash
  hash=$( { coredns_recipe_mod; coredns_recipe_main; } | sha256sum | cut -c1-12)
  echo "${XDG_CACHE_HOME:-$HOME/.cache}/yunbang/coredns-$COREDNS_VERSION-$hash/bin"
}

# go_build_quietly WHAT CMD... — runs a Go build command with its output as notes (minus the per-module download lines)
# and a heartbeat a minute, since the Go tool says nothing while it compiles. Fails when CMD fails.
go_build_quietly() {
  local what=$1 started builder status=0
  shift
  started=$(date +%s)
  "$@" 2>&1 | while IFS= read -r line; do
    case $line in "go: downloading "* | "go: finding "* | "go: found "*) ;; *) note "$line" ;; esac
  done &
  builder=$!
  while kill -0 "$builder" 2>/dev/null; do
    for _ in $(seq 60); do kill -0 "$builder" 2>/dev/null || break; sleep 1; done
    kill -0 "$builder" 2>/dev/null && note "still building $what ($(( $(date +%s) - started )) s)"
  done
  wait "$builder" || status=$?
  return "$status"
}

# One k8s-up/k8s-down at a time on the machine (two `npm test` runs may start together): the second waits, then finds
# the cluster up. The lock file lives outside $K8S_RUN, which k8s-down.sh removes; k8s-up.sh's own call of k8s-down.sh
# inherits the lock (K8S_LOCKED).
k8s_lock() {
  [ -n "${K8S_LOCKED:-}" ] && return 0
  exec 9>/run/yunbang-k8s.lock
  flock -w 900 9 || die "another k8s-up.sh or k8s-down.sh has held /run/yunbang-k8s.lock for 15 minutes"
  export K8S_LOCKED=1
}

# Processes: each component runs in its own session with a pid file; its log is $K8S_LOGS/<name>.log.
# A pid file holds the pid and the process's start time (clock ticks after boot, field 22 of /proc/PID/stat, read
# after the command name, which may hold spaces): a pid the kernel has since given to another process (a Docker
# engine started after the cluster went away, say) is then not taken for the daemon, and never stopped as one.
k8s_proc_start() { sed -E 's/^.*\) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20; }
k8s_record_pid() { echo "$2 $(k8s_proc_start "$2")" > "$K8S_RUN/$1.pid"; }
k8s_pid() { local pid _; read -r pid _ < "$K8S_RUN/$1.pid" 2>/dev/null && echo "$pid"; }
k8s_running() {
  local pid start
  read -r pid start < "$K8S_RUN/$1.pid" 2>/dev/null || return 1
  # A file from before the start time was recorded (no second field) is taken at its word.
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && { [ -z "$start" ] || [ "$(k8s_proc_start "$pid")" = "$start" ]; }
}
