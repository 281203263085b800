#!/usr/bin/env bash
# Installs what the test suite needs on a Debian machine: services the functional tests start
# (pebble, bcoin), tools they call (openssl, perl MaxMind DB writer) and a free country database.
# Idempotent; each step is skipped when its result is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v pebble >/dev/null 2>&1 || need_apt+=(pebble)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
perl -MMaxMind::DB::Writer::Tree -e1 >/dev/null 2>&1 || need_apt+=(libmaxmind-db-writer-perl)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs npm)
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "installing Debian packages: ${need_apt[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

for script in scripts/install-pebble.sh scripts/install-bcoin.sh scripts/install-geodb.sh scripts/install-ops-tools.sh scripts/install-chromium.sh; do
    if [ -x "$script" ]; then
        "$script"
    fi
done
