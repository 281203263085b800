#!/usr/bin/env bash
# Installs Debian's chromium, which the status page end-to-end test drives headless.
# Idempotent; run as root on Debian 12 (CI) or as a user with sudo.
set -euo pipefail

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if ! command -v chromium >/dev/null 2>&1; then
  if ! apt-cache show chromium >/dev/null 2>&1; then
    as_root apt-get -o DPkg::Lock::Timeout=600 update -qq
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends chromium >/dev/null
fi
command -v chromium
