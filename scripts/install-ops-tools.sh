#!/usr/bin/env bash
# Installs the tools the operations tests call: systemd-analyze (checks samples/systemd/*.service).
# Idempotent; run as root on Debian 12 (CI) or as a user with sudo.
set -euo pipefail

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if ! command -v systemd-analyze >/dev/null 2>&1; then
  as_root apt-get -o DPkg::Lock::Timeout=600 update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq systemd >/dev/null
fi
