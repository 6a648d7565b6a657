# Shared helpers for the set-up scripts (sourced, not run). Prints progress lines prefixed with "==>".
step() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
note() { printf '    %s\n' "$*" >&2; }
die()  { printf 'error: %s\n' "$*" >&2; exit 1; }

# The Debian mirror the host's apt uses (so builds work behind the same mirror); YB_DEBIAN_MIRROR wins.
debian_mirror() {
  if [ -n "${YB_DEBIAN_MIRROR:-}" ]; then echo "$YB_DEBIAN_MIRROR"; return; fi
  local uri=""
  if [ -r /etc/apt/sources.list.d/debian.sources ]; then
    uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$uri" ] && [ -r /etc/apt/sources.list ]; then
    uri=$(awk '$1=="deb" && $0 !~ /security/ {for(i=2;i<=NF;i++) if ($i ~ /^https?:/) {print $i; exit}}' /etc/apt/sources.list)
  fi
  [ -n "$uri" ] || die "cannot find a Debian mirror in the host's apt sources; set YB_DEBIAN_MIRROR"
  echo "$uri"
}

# The host's CA bundle, passed to image builds and buildpacks so TLS through the host's proxies works.
host_ca_bundle() { echo "${YB_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"; }
