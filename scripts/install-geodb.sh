#!/usr/bin/env bash
# Installs a free country database for the geo filter and the tools the tests use to write fixture databases.
#   - @ip-location-db/geo-whois-asn-country-mmdb (npm) into .tools/geodb/ (git-ignored); the .mmdb path is printed
#     last, to be set as "Proxy": { "Geo": { "Database": "<path>" } }. Data: ip-location-db, built from RIR
#     statistics licensed CC BY 4.0 by the NRO; credit it where the database is used.
#   - Debian's libmaxmind-db-writer-perl (and its reader), used by tests to write and cross-check small databases.
# Idempotent; run as root on Debian 12 (CI) or as a user with sudo.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/.tools/geodb"
package="@ip-location-db/geo-whois-asn-country-mmdb"
# The package ships IPv4-only, IPv6-only and combined files; the filter wants the combined one.
database="geo-whois-asn-country.mmdb"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if ! perl -MMaxMind::DB::Writer::Tree -e 1 >/dev/null 2>&1; then
  if ! apt-cache show libmaxmind-db-writer-perl >/dev/null 2>&1; then
    as_root apt-get -o DPkg::Lock::Timeout=600 update -qq
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq libmaxmind-db-writer-perl >/dev/null
fi

if ! command -v npm >/dev/null 2>&1; then
  as_root apt-get -o DPkg::Lock::Timeout=600 update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq npm >/dev/null
fi

mmdb="$dest/node_modules/$package/$database"
if [ ! -f "$mmdb" ]; then
  mkdir -p "$dest"
  [ -f "$dest/package.json" ] || echo '{ "name": "geodb", "private": true }' > "$dest/package.json"
  npm install --prefix "$dest" --no-audit --no-fund --silent "$package" >&2
fi

if [ ! -f "$mmdb" ]; then
  echo "install-geodb: $database not found in $package" >&2
  exit 1
fi
echo "$mmdb"
