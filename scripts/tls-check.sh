#!/usr/bin/env bash
# Sends one Stratum line through a TLS stratum port with `openssl s_client` and prints the first line answered.
# usage: scripts/tls-check.sh HOST PORT [SNI] [CA_FILE|-] [extra s_client options, e.g. -tls1_3]
# With CA_FILE the chain and the SNI name are verified (handshake fails otherwise). Exit 0 when a line came back.
set -euo pipefail

host="${1:?host}"; port="${2:?port}"; sni="${3:-}"; ca="${4:--}"
shift $(( $# < 4 ? $# : 4 ))
line="${TLS_CHECK_LINE:-{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[\"tls-check/1.0\"]\}}"
wait_seconds="${TLS_CHECK_TIMEOUT:-15}"

args=(-connect "$host:$port" -quiet -ign_eof)
if [ -n "$sni" ]; then args+=(-servername "$sni"); else args+=(-noservername); fi
if [ "$ca" != "-" ]; then
  args+=(-CAfile "$ca" -verify_return_error)
  if [ -n "$sni" ]; then args+=(-verify_hostname "$sni"); fi
fi

coproc OSSL { exec timeout "$wait_seconds" openssl s_client "${args[@]}" "$@" 2>/dev/null; }
printf '%s\n' "$line" >&"${OSSL[1]}"
reply=""
IFS= read -r -t "$wait_seconds" reply <&"${OSSL[0]}" || true
kill "$OSSL_PID" 2>/dev/null || true
wait "$OSSL_PID" 2>/dev/null || true
if [ -z "$reply" ]; then
  echo "no answer through TLS from $host:$port" >&2
  exit 1
fi
printf '%s\n' "$reply"
