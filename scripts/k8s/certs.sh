#!/usr/bin/env bash
# Makes the test cluster's certificates and kubeconfigs (docs/architecture.md §6.3) with openssl, once: a CA, the API
# server's serving certificate, one client certificate per component and node, the service-account key pair, and a
# kubeconfig per client. Usage: certs.sh NODES. Existing files are kept, so a re-run changes nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/scripts/lib.sh"
. "$here/scripts/k8s/lib.sh"
nodes=$1
pki=$K8S_STATE/pki
mkdir -p "$pki"
chmod 700 "$K8S_STATE" "$pki"
umask 077

if [ ! -f "$pki/ca.crt" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=yunbang-k8s-ca" \
    -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
fi
if [ ! -f "$pki/sa.pub" ]; then
  openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
fi

# cert NAME SUBJECT [SAN] — a key and a certificate signed by the CA (client and server usage).
cert() {
  local name=$1 subj=$2 san=${3:-} ext
  [ -f "$pki/$name.crt" ] && return 0
  ext=$(mktemp)
  { echo "basicConstraints=CA:FALSE"; echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=serverAuth,clientAuth"; [ -z "$san" ] || echo "subjectAltName=$san"; } > "$ext"
  openssl req -new -newkey rsa:2048 -nodes -subj "$subj" -keyout "$pki/$name.key" -out "$pki/$name.csr" 2>/dev/null
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 3650 \
    -extfile "$ext" -out "$pki/$name.crt" 2>/dev/null
  rm -f "$ext" "$pki/$name.csr"
}

# kubeconfig NAME — a kubeconfig for the certificate NAME, with every file inlined so it can be copied elsewhere.
kubeconfig() {
  local name=$1 file=$K8S_STATE/$1.kubeconfig
  [ -f "$file" ] && return 0
  cat > "$file" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: yunbang-k8s
  cluster:
    server: https://$K8S_HOST_IP:$K8S_API_PORT
    certificate-authority-data: $(base64 -w0 < "$pki/ca.crt")
users:
- name: $name
  user:
    client-certificate-data: $(base64 -w0 < "$pki/$name.crt")
    client-key-data: $(base64 -w0 < "$pki/$name.key")
contexts:
- name: yunbang-k8s
  context: {cluster: yunbang-k8s, user: $name}
current-context: yunbang-k8s
KUBECONFIG
}

cert apiserver "/CN=kube-apiserver" \
  "IP:$K8S_HOST_IP,IP:127.0.0.1,IP:$K8S_SERVICE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
cert admin "/O=system:masters/CN=yunbang-admin"
cert controller-manager "/CN=system:kube-controller-manager"
cert scheduler "/CN=system:kube-scheduler"
cert kube-proxy "/CN=system:kube-proxy"
for c in admin controller-manager scheduler kube-proxy; do kubeconfig "$c"; done
for n in $(seq 1 "$nodes"); do
  name=$(k8s_node_name "$n")
  cert "node-$n" "/O=system:nodes/CN=system:node:$name"
  cert "kubelet-$n" "/CN=$name" "IP:$(k8s_node_ip "$n"),DNS:$name"
  kubeconfig "node-$n"
done
