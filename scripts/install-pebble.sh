#!/usr/bin/env bash
# Installs Debian's pebble (a small ACME test CA) and generates, once, the certificate pebble serves its own
# HTTPS directory with (the package ships none). Idempotent; run as root on Debian 12 (CI) or with sudo.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${PEBBLE_TOOLS_DIR:-$repo_root/.tools/pebble}"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if ! command -v pebble >/dev/null 2>&1 || ! command -v pebble-challtestsrv >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-cache show pebble >/dev/null 2>&1; then
    as_root apt-get update -q
  fi
  as_root apt-get install -y -q --no-install-recommends pebble openssl ca-certificates \
    || { as_root apt-get update -q && as_root apt-get install -y -q --no-install-recommends pebble openssl ca-certificates; }
fi

mkdir -p "$dest"
if [ ! -s "$dest/ca.pem" ] || [ ! -s "$dest/cert.pem" ] || [ ! -s "$dest/key.pem" ]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj "/CN=stratum-proxy test pebble CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$tmp/ca.key" -out "$tmp/ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj "/CN=localhost" -keyout "$tmp/key.pem" -out "$tmp/cert.csr" 2>/dev/null
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n' > "$tmp/ext.cnf"
  openssl x509 -req -in "$tmp/cert.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -CAcreateserial \
    -days 3650 -extfile "$tmp/ext.cnf" -out "$tmp/cert.pem" 2>/dev/null
  install -m 0644 "$tmp/ca.pem" "$dest/ca.pem"
  install -m 0644 "$tmp/cert.pem" "$dest/cert.pem"
  install -m 0600 "$tmp/key.pem" "$dest/key.pem"
fi

echo "pebble: $(command -v pebble); challtestsrv: $(command -v pebble-challtestsrv); certificates in $dest"
