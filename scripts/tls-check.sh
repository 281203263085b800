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
# Bash unsets OSSL and OSSL_PID and closes the coprocess's pipes as soon as it reaps it, which may happen between
# any two commands below (right after the kill, say, and `set -u` would then end the script with 1 after a good
# reply): keep the pid from $! and copies of both pipe ends.
ossl_pid=$!
exec {to_ossl}>&"${OSSL[1]}" {from_ossl}<&"${OSSL[0]}"
printf '%s\n' "$line" >&"$to_ossl"
reply=""
IFS= read -r -t "$wait_seconds" reply <&"$from_ossl" || true
kill "$ossl_pid" 2>/dev/null || true
wait "$ossl_pid" 2>/dev/null || true
exec {to_ossl}>&- {from_ossl}<&-
if [ -z "$reply" ]; then
  echo "no answer through TLS from $host:$port" >&2
  exit 1
fi
printf '%s\n' "$reply"
