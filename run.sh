#!/usr/bin/env bash
# Runs the proxy with the bundled pool on its devnet, using appsettings.json (or --config PATH).
set -euo pipefail
cd "$(dirname "$0")"
scripts/require-dotnet.sh
dotnet run -c Release --project src/StratumProxy -- "$@"
