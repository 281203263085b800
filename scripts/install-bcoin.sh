#!/usr/bin/env bash
# Installs bcoin 1.0.2 (a full Bitcoin node in JavaScript) into .tools/bcoin under the repository root, for the
# pool's integration tests against a real regtest daemon. Idempotent; safe to run as root on a fresh Debian 12.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/.tools/bcoin"
ENTRY="$DEST/node_modules/bcoin/bin/node"

if [[ -f "$ENTRY" ]] && node -e 'require(process.argv[1])' "$DEST/node_modules/bcoin" >/dev/null 2>&1; then
    echo "bcoin already installed: $ENTRY"
    exit 0
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    if [[ $(id -u) -ne 0 ]]; then
        echo "node and npm are required (apt-get install nodejs npm as root)" >&2
        exit 1
    fi
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs npm
fi

mkdir -p "$DEST"
cd "$DEST"
if [[ ! -f package.json ]]; then
    npm init -y >/dev/null
fi
# bcoin's storage layer pins leveldown 4.0.1, which does not build on current Node; 5.6.0 is API-compatible.
npm pkg set overrides.leveldown=5.6.0
npm install --no-audit --no-fund --foreground-scripts bcoin@1.0.2

node -e 'require(process.argv[1])' "$DEST/node_modules/bcoin"
echo "bcoin installed: $ENTRY"
