#!/usr/bin/env bash
# The .NET 10 SDK is the one prerequisite the scripts cannot install from Debian's archive.
if ! command -v dotnet >/dev/null 2>&1; then
    echo "The .NET 10 SDK is required (dotnet was not found on PATH)." >&2
    exit 1
fi
