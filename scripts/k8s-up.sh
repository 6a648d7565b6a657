#!/usr/bin/env bash
# Brings up the Kubernetes test cluster (docs/architecture.md §6.3) as plain processes: etcd, the control plane, a
# plain-HTTP image registry, and per node its own containerd, kubelet, kube-proxy and NetworkPolicy enforcer; node 1 is
# the host, node 2 lives in its own network namespace. Idempotent: when the cluster is already up and healthy it prints
# its settings and returns. Usage: k8s-up.sh [--nodes 1|2]. Writes and prints $K8S_ENV_FILE (YB_KUBECONFIG,
# YB_REGISTRY_URL). scripts/k8s-down.sh removes all of it.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib.sh"
. "$here/scripts/k8s/lib.sh"

nodes=2
while [ $# -gt 0 ]; do
  case $1 in
    --nodes) nodes=${2:-}; shift 2 ;;
    --nodes=*) nodes=${1#--nodes=}; shift ;;
    *) die "unknown argument '$1' (usage: k8s-up.sh [--nodes 1|2])" ;;
  esac
done
case $nodes in 1 | 2) ;; *) die "--nodes must be 1 or 2, not '$nodes'" ;; esac
[ "$(id -u)" = 0 ] || die "the Kubernetes test cluster needs root (network namespaces, iptables, containerd)"
k8s_lock
trap 'printf "error: k8s-up.sh failed at line %s (a half-started cluster: the next k8s-up.sh or k8s-down.sh removes it)\n" "$LINENO" >&2' ERR

pki=$K8S_STATE/pki
admin=$K8S_STATE/admin.kubeconfig
curl_api() { curl -sf --max-time 2 --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" "https://$K8S_HOST_IP:$K8S_API_PORT$1"; }
components() {
  local n
  echo etcd registry kube-apiserver kube-controller-manager kube-scheduler coredns
  for n in $(seq 1 "$1"); do echo "containerd-$n kubelet-$n kube-proxy-$n netpol-$n"; done
}
print_env() { cat "$K8S_ENV_FILE"; }

# The scripts that made the cluster: a cluster made by another version of them (other settings) is started again.
recipe=$(cat "$here/scripts/k8s-up.sh" "$here/scripts/k8s/lib.sh" | sha256sum | cut -c1-16)
# Already up with this many nodes, every process alive, the API ready and every node Ready: nothing to do.
healthy() {
  local c
  [ -f "$K8S_ENV_FILE" ] && [ "$(cat "$K8S_RUN/nodes" 2>/dev/null)" = "$nodes" ] || return 1
  [ "$(cat "$K8S_RUN/recipe" 2>/dev/null)" = "$recipe" ] || return 1 # started by another version of these scripts
  for c in $(components "$nodes"); do k8s_running "$c" || return 1; done
  [ "$(curl_api /readyz)" = ok ] || return 1
  [ "$(curl_api /api/v1/nodes | tr -d ' \n' | grep -o '"type":"Ready","status":"True"' | wc -l)" = "$nodes" ]
}
if healthy; then
  step "the Kubernetes test cluster is up ($nodes nodes)"
  print_env
  exit 0
fi
# Partly up, or up with another node count: start from nothing rather than repair piecemeal.
if [ -d "$K8S_RUN" ] || ip link show "$K8S_HOST_LINK" >/dev/null 2>&1; then
  step "stopping the previous (unhealthy or differently sized) test cluster"
  bash "$here/scripts/k8s-down.sh" --keep-data
fi

for tool in etcd containerd runc ctr docker-registry iptables nsenter curl openssl; do
  command -v "$tool" >/dev/null || die "$tool is missing; run scripts/prereqs.sh (it installs the cluster's Debian packages)"
done
[ -x /usr/lib/cni/bridge ] || die "the CNI plugins are missing; run scripts/prereqs.sh (containernetworking-plugins)"
use_pinned_node # runs the NetworkPolicy enforcer (scripts/k8s/netpol.ts, through tsx from node_modules)
cd "$here"
[ -d node_modules/tsx ] || die "the npm dependencies are missing (the NetworkPolicy enforcer runs through tsx); run scripts/prereqs.sh"
started=$(date +%s)
bin=$(bash "$here/scripts/k8s/build.sh" | tail -n 1)
dns_bin=$(bash "$here/scripts/k8s/build-dns.sh" | tail -n 1)
pause_tar=$(bash "$here/scripts/k8s/pause-image.sh")
step "starting the Kubernetes test cluster ($nodes nodes) in $K8S_STATE"
bash "$here/scripts/k8s/certs.sh" "$nodes"
mkdir -p "$K8S_LOGS" "$K8S_RUN"
echo "$nodes" > "$K8S_RUN/nodes"
echo "$recipe" > "$K8S_RUN/recipe"

# --- processes -----------------------------------------------------------------------------------------------------
# start NAME NODE CMD... — its own session (a Ctrl-C on the caller must not stop the cluster), log, pid file.
start() {
  local name=$1 n=$2; shift 2
  # 9>&-: the daemons must not inherit the lock of k8s_lock (they would hold it for as long as they run).
  if [ "$n" = 1 ]; then
    setsid nohup "$@" >"$K8S_LOGS/$name.log" 2>&1 </dev/null 9>&- &
  else
    setsid nohup nsenter --net="/run/netns/$(k8s_netns "$n")" -- "$@" >"$K8S_LOGS/$name.log" 2>&1 </dev/null 9>&- &
  fi
  k8s_record_pid "$name" $!
}
# wait_until NAME SECONDS CMD... — polls CMD every 0.2 s; on timeout (or if NAME died) shows NAME's log tail and fails.
wait_until() {
  local name=$1 secs=$2 deadline; shift 2
  deadline=$(( $(date +%s) + secs ))
  until "$@" >/dev/null 2>&1; do
    if ! k8s_running "$name" || [ "$(date +%s)" -ge "$deadline" ]; then
      printf 'error: %s did not come up (%s); the last lines of %s:\n' "$name" \
        "$(k8s_running "$name" && echo "timed out after ${secs}s" || echo exited)" "$K8S_LOGS/$name.log" >&2
      tail -n 25 "$K8S_LOGS/$name.log" >&2 || true
      exit 1
    fi
    sleep 0.2
  done
}

# --- host settings kubelet and the network change -----------------------------------------------------------------
# kubelet rewrites a few kernel settings; save the originals once so k8s-down.sh can put them back.
if [ ! -f "$K8S_STATE/sysctl.saved" ]; then
  for key in vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys \
    kernel.keys.root_maxbytes; do
    echo "$key=$(sysctl -n "$key")"
  done > "$K8S_STATE/sysctl.saved"
fi

# Which nftables tables exist and whether /run/netns is a mount point before we start: kube-proxy and kubelet create
# empty tables (ip mangle, ip6 filter/nat/mangle) and `ip netns add` mounts /run/netns; k8s-down.sh removes what is new.
if [ ! -f "$K8S_STATE/host.saved" ]; then
  { nft list tables 2>/dev/null | sed 's/^/table /' || true
    if mountpoint -q /run/netns 2>/dev/null; then echo "run-netns mounted"; fi
    if [ -d /run/netns ]; then echo "run-netns exists"; fi
  } > "$K8S_STATE/host.saved"
fi

# The node network: the host's address on a link of its own (so the API server has a fixed non-loopback address whatever
# the node count), and for node N>1 a network namespace joined by a veth pair, with routes between the pod subnets.
ip link add "$K8S_HOST_LINK" type bridge # no dummy links in this kernel; a port-less bridge holds an address as well
ip addr add "$K8S_HOST_IP/32" dev "$K8S_HOST_LINK"
ip link set "$K8S_HOST_LINK" up
for n in $(seq 2 "$nodes"); do
  ns=$(k8s_netns "$n") hv=$(k8s_veth_host "$n") ip=$(k8s_node_ip "$n")
  ip netns add "$ns"
  ip link add "$hv" type veth peer name eth0 netns "$ns"
  ip link set "$hv" up
  ip route add "$ip/32" dev "$hv" src "$K8S_HOST_IP"
  ip route add "$(k8s_pod_cidr "$n")" via "$ip" dev "$hv" src "$K8S_HOST_IP"
  # The node reaches the registry at $K8S_HOST_IP:$K8S_REGISTRY_PORT: DNAT to the registry's loopback address, which the
  # kernel allows only on a link with route_localnet (set on this veth alone, and gone with it).
  sysctl -qw "net.ipv4.conf.$hv.route_localnet=1"
  k8s_in_node "$n" ip link set lo up
  k8s_in_node "$n" ip addr add "$ip/24" dev eth0
  k8s_in_node "$n" ip link set eth0 up
  k8s_in_node "$n" ip route add default via "$K8S_HOST_IP" dev eth0 onlink
  k8s_in_node "$n" sysctl -qw net.ipv4.ip_forward=1
  k8s_in_node "$n" sysctl -qw net.bridge.bridge-nf-call-iptables=1 # NetworkPolicy sees pod-to-pod traffic on the bridge
  k8s_in_node "$n" iptables -w -N "${K8S_IPT_PREFIX}POLICY"
  k8s_in_node "$n" iptables -w -I FORWARD 1 -j "${K8S_IPT_PREFIX}POLICY"
done
# Our FORWARD rules (Docker's policy is DROP): pod and node traffic is accepted after the NetworkPolicy chain has had its
# say; pods reach the outside through the host's address.
iptables -w -N "${K8S_IPT_PREFIX}POLICY"
iptables -w -N "${K8S_IPT_PREFIX}FORWARD"
iptables -w -A "${K8S_IPT_PREFIX}FORWARD" -j "${K8S_IPT_PREFIX}POLICY"
for net in "$K8S_CLUSTER_CIDR" "$K8S_NODE_NET"; do
  iptables -w -A "${K8S_IPT_PREFIX}FORWARD" -s "$net" -j ACCEPT
  iptables -w -A "${K8S_IPT_PREFIX}FORWARD" -d "$net" -j ACCEPT
done
iptables -w -I FORWARD 1 -j "${K8S_IPT_PREFIX}FORWARD"
iptables -w -t nat -N "${K8S_IPT_PREFIX}POSTROUTING"
iptables -w -t nat -A "${K8S_IPT_PREFIX}POSTROUTING" -s "$K8S_CLUSTER_CIDR" -d "$K8S_CLUSTER_CIDR" -j RETURN
iptables -w -t nat -A "${K8S_IPT_PREFIX}POSTROUTING" -s "$K8S_CLUSTER_CIDR" -d "$K8S_NODE_NET" -j RETURN
iptables -w -t nat -A "${K8S_IPT_PREFIX}POSTROUTING" -s "$K8S_CLUSTER_CIDR" -j MASQUERADE
iptables -w -t nat -A POSTROUTING -j "${K8S_IPT_PREFIX}POSTROUTING"
iptables -w -t nat -N "${K8S_IPT_PREFIX}PREROUTING"
for n in $(seq 2 "$nodes"); do
  # Only from the node's own address (its containerd), never from its pods: they keep their pod addresses here, and the
  # registry would let a tenant read or delete every team's images (test/integration/runtime/k8s-cluster.test.ts).
  iptables -w -t nat -A "${K8S_IPT_PREFIX}PREROUTING" -i "$(k8s_veth_host "$n")" -s "$(k8s_node_ip "$n")" -d "$K8S_HOST_IP" \
    -p tcp --dport "$K8S_REGISTRY_PORT" -j DNAT --to-destination "127.0.0.1:$K8S_REGISTRY_PORT"
done
iptables -w -t nat -A PREROUTING -j "${K8S_IPT_PREFIX}PREROUTING"

# --- control plane ------------------------------------------------------------------------------------------------
start etcd 1 etcd --name yb-k8s --data-dir "$K8S_STATE/etcd" \
  --listen-client-urls "http://127.0.0.1:$K8S_ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$K8S_ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$K8S_ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$K8S_ETCD_PEER_PORT" \
  --initial-cluster "yb-k8s=http://127.0.0.1:$K8S_ETCD_PEER_PORT" --log-level warn
mkdir -p "$K8S_STATE/registry"
cat > "$K8S_STATE/registry.yml" <<YAML
version: 0.1
log: {level: warn, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $K8S_STATE/registry}, delete: {enabled: true}}
http: {addr: "127.0.0.1:$K8S_REGISTRY_PORT"}
YAML
start registry 1 docker-registry serve "$K8S_STATE/registry.yml"
wait_until etcd 30 curl -sf "http://127.0.0.1:$K8S_ETCD_PORT/health"
start kube-apiserver 1 "$bin/kube-apiserver" --bind-address="$K8S_HOST_IP" --advertise-address="$K8S_HOST_IP" \
  --secure-port="$K8S_API_PORT" --etcd-servers="http://127.0.0.1:$K8S_ETCD_PORT" \
  --service-cluster-ip-range="$K8S_SERVICE_CIDR" --client-ca-file="$pki/ca.crt" \
  --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
  --kubelet-client-certificate="$pki/apiserver-kubelet-client.crt" --kubelet-client-key="$pki/apiserver-kubelet-client.key" \
  --kubelet-certificate-authority="$pki/ca.crt" --kubelet-preferred-address-types=InternalIP \
  --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction --allow-privileged=true --profiling=false
wait_until kube-apiserver 90 curl_api /readyz
wait_until registry 10 curl -sf "http://127.0.0.1:$K8S_REGISTRY_PORT/v2/"
start kube-controller-manager 1 "$bin/kube-controller-manager" --kubeconfig="$K8S_STATE/controller-manager.kubeconfig" \
  --authentication-kubeconfig="$K8S_STATE/controller-manager.kubeconfig" \
  --authorization-kubeconfig="$K8S_STATE/controller-manager.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port="$K8S_CM_PORT" --leader-elect=false --use-service-account-credentials=true \
  --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
  --cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key" --profiling=false
start kube-scheduler 1 "$bin/kube-scheduler" --kubeconfig="$K8S_STATE/scheduler.kubeconfig" \
  --authentication-kubeconfig="$K8S_STATE/scheduler.kubeconfig" --authorization-kubeconfig="$K8S_STATE/scheduler.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port="$K8S_SCHED_PORT" --leader-elect=false --profiling=false
# The cluster DNS on the host's node address (pods of every node reach it; kubelets hand it to pods as their resolver).
cat > "$K8S_STATE/Corefile" <<COREFILE
.:53 {
    bind $K8S_DNS_IP
    errors
    health 127.0.0.1:$K8S_DNS_HEALTH_PORT
    ready 127.0.0.1:$K8S_DNS_READY_PORT
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $admin
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    forward . /etc/resolv.conf
    cache 30
    loop
}
COREFILE
start coredns 1 "$dns_bin/coredns" -conf "$K8S_STATE/Corefile"
wait_until coredns 60 curl -sf "http://127.0.0.1:$K8S_DNS_READY_PORT/ready"

# --- nodes --------------------------------------------------------------------------------------------------------
for n in $(seq 1 "$nodes"); do
  dir=$(k8s_node_dir "$n") run=$(k8s_node_run "$n") name=$(k8s_node_name "$n") ip=$(k8s_node_ip "$n")
  sock=$(k8s_containerd_sock "$n")
  mkdir -p "$dir/cni/net.d" "$dir/kubelet" "$dir/pod-logs" "$run"
  # The registry by its host:port (the name images carry); node 1 reaches it on loopback, others through the DNAT above.
  registry_endpoint="http://127.0.0.1:$K8S_REGISTRY_PORT"
  [ "$n" = 1 ] || registry_endpoint="http://$K8S_HOST_IP:$K8S_REGISTRY_PORT"
  cat > "$dir/containerd.toml" <<TOML
version = 2
root = "$dir/containerd"
state = "$run/containerd"
[grpc]
  address = "$sock"
[ttrpc]
  address = "$run/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$dir/containerd-opt" # not the host's /opt/containerd, which Docker's containerd uses
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$K8S_PAUSE_IMAGE"
  # root here lacks CAP_SYS_RESOURCE: without this every pod fails with "can't get final child's PID".
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$dir/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".registry.mirrors."127.0.0.1:$K8S_REGISTRY_PORT"]
    endpoint = ["$registry_endpoint"]
TOML
  # bridge + host-local per node; portmap for hostPort; firewall accepts the pod's traffic after our NetworkPolicy chain
  # (its admin chain), so the policy is evaluated before any accept.
  cat > "$dir/cni/net.d/10-yunbang.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "yunbang-k8s",
  "plugins": [
    {
      "type": "bridge", "bridge": "$(k8s_bridge "$n")", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": {
        "type": "host-local", "dataDir": "$dir/cni/ipam",
        "ranges": [[{ "subnet": "$(k8s_pod_cidr "$n")" }]], "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } },
    { "type": "firewall", "backend": "iptables", "iptablesAdminChainName": "${K8S_IPT_PREFIX}POLICY" }
  ]
}
JSON
  start "containerd-$n" "$n" containerd --config "$dir/containerd.toml"
  wait_until "containerd-$n" 30 ctr -a "$sock" version
  ctr -a "$sock" -n k8s.io images import --no-unpack=false "$pause_tar" >/dev/null
  # Each kubelet owns its cgroup root in every controller, so two nodes on one host never clean up each other's pods.
  for ctl in /sys/fs/cgroup/*/; do
    [ -f "$ctl/cgroup.procs" ] && [ ! -L "${ctl%/}" ] && mkdir -p "$ctl$K8S_CGROUP_PREFIX$n"
  done
  cat > "$dir/kubelet.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $ip
port: $K8S_KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $K8S_KUBELET_HEALTHZ_PORT
tlsCertFile: $pki/kubelet-$n.crt
tlsPrivateKeyFile: $pki/kubelet-$n.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $pki/ca.crt}
authorization: {mode: Webhook}
containerRuntimeEndpoint: unix://$sock
cgroupDriver: cgroupfs
cgroupRoot: /$K8S_CGROUP_PREFIX$n
failSwapOn: false
resolvConf: /etc/resolv.conf
# Each node its own pod log directory: on a shared disk a kubelet removes the log directories of pods it does not run,
# so with the default /var/log/pods node 1 deleted node 2's logs while they were being read.
podLogsDir: $dir/pod-logs
clusterDNS: [$K8S_DNS_IP]
clusterDomain: cluster.local
# A test cluster on a shared disk: evict only when it is really full, and never taint the node for disk pressure.
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
imageGCHighThresholdPercent: 99
imageGCLowThresholdPercent: 98
serializeImagePulls: false
YAML
  start "kubelet-$n" "$n" "$bin/kubelet" --config="$dir/kubelet.yaml" --kubeconfig="$K8S_STATE/node-$n.kubeconfig" \
    --hostname-override="$name" --node-ip="$ip" --root-dir="$dir/kubelet"
  cat > "$dir/kube-proxy.yaml" <<YAML
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $K8S_STATE/kube-proxy.kubeconfig}
mode: iptables
hostnameOverride: $name
bindAddress: $ip
clusterCIDR: $K8S_CLUSTER_CIDR
healthzBindAddress: 127.0.0.1:$K8S_PROXY_HEALTHZ_PORT
metricsBindAddress: 127.0.0.1:$K8S_PROXY_METRICS_PORT
nodePortAddresses: [$ip/32]
# Leave the host's conntrack sizing and route_localnet alone (NodePorts on 127.0.0.1 would need route_localnet everywhere).
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
iptables: {localhostNodePorts: false}
YAML
  start "kube-proxy-$n" "$n" "$bin/kube-proxy" --config="$dir/kube-proxy.yaml"
  rm -f "$K8S_RUN/netpol-$n.synced"
  start "netpol-$n" "$n" node --import tsx "$here/scripts/k8s/netpol.ts" --kubeconfig "$admin" --node "$name" \
    --chain "${K8S_IPT_PREFIX}POLICY" --synced "$K8S_RUN/netpol-$n.synced"
done

node_ready() {
  "$bin/kubectl" --kubeconfig "$admin" get node "$1" \
    -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null | grep -qx True
}
for n in $(seq 1 "$nodes"); do
  wait_until "kubelet-$n" 90 node_ready "$(k8s_node_name "$n")"
  # The Node object names the pod subnet its CNI config serves (the controller does not allocate them here), so clients
  # such as the platform's isolation policy can read each node's pod range and gateway from the API.
  cidr=$(k8s_pod_cidr "$n")
  "$bin/kubectl" --kubeconfig "$admin" patch node "$(k8s_node_name "$n")" --type merge \
    -p "{\"spec\":{\"podCIDR\":\"$cidr\",\"podCIDRs\":[\"$cidr\"]}}" >/dev/null
done
for n in $(seq 1 "$nodes"); do
  wait_until "kube-proxy-$n" 30 k8s_in_node "$n" curl -sf "http://127.0.0.1:$K8S_PROXY_HEALTHZ_PORT/healthz"
  wait_until "netpol-$n" 30 test -f "$K8S_RUN/netpol-$n.synced"
done

umask 022
cat > "$K8S_ENV_FILE.tmp" <<ENV
YB_KUBECONFIG=$admin
YB_REGISTRY_URL=http://127.0.0.1:$K8S_REGISTRY_PORT
ENV
mv "$K8S_ENV_FILE.tmp" "$K8S_ENV_FILE"
step "the Kubernetes test cluster is up: $nodes Ready nodes in $(( $(date +%s) - started )) s (kubectl: $bin/kubectl)"
print_env
