#!/usr/bin/env bash
# Compares two Release builds of the proxy under the submit loop, side by side: both run at once against one
# backend, and short load windows alternate between them, so a host that gets faster or slower during the
# comparison weighs on both alike. Prints user, system and total CPU per round trip of each, and each window's p99.
#   bench/compare-builds.sh BUILD_A BUILD_B [--rounds 8] [--seconds 3] [--conns 50] [--port-base 17700]
#                           [--env-a "NAME=VALUE ..."] [--env-b "NAME=VALUE ..."] [--tls]
# --env-a/--env-b add environment variables to one build's process: one build twice with two runtime settings.
# --tls runs the windows over TLS (each build's self-signed TLS listener); each window's 50 handshakes (about 1 % of a
# 3-second window's CPU) count in it, alike for both builds.
# A build is a copy of src/StratumProxy/bin/Release (the directory holding net10.0/StratumProxy.dll):
#   dotnet build -c Release src/StratumProxy && cp -r src/StratumProxy/bin/Release /tmp/before
# Needs bench/run.sh to have built the load generator and the backend once.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
BUILD="$HERE/build"
ROUNDS=8
SECONDS_PER_WINDOW=3
CONNS=50
PORT_BASE=17700
BUILDS=()
EXTRA_ENV=("" "")
TLS=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --rounds) ROUNDS="$2"; shift 2 ;;
        --seconds) SECONDS_PER_WINDOW="$2"; shift 2 ;;
        --conns) CONNS="$2"; shift 2 ;;
        --port-base) PORT_BASE="$2"; shift 2 ;;
        --env-a) EXTRA_ENV[0]="$2"; shift 2 ;;
        --env-b) EXTRA_ENV[1]="$2"; shift 2 ;;
        --tls) TLS=1; shift ;;
        -*) echo "unknown option $1" >&2; exit 2 ;;
        *) BUILDS+=("$1"); shift ;;
    esac
done
[[ ${#BUILDS[@]} -eq 2 ]] || { echo "usage: bench/compare-builds.sh BUILD_A BUILD_B [--rounds N] [--seconds S] [--conns N] [--port-base N] [--env-a ENV] [--env-b ENV] [--tls]" >&2; exit 2; }
for build in "${BUILDS[@]}"; do
    [[ -f "$build/net10.0/StratumProxy.dll" ]] || { echo "$build/net10.0/StratumProxy.dll not found" >&2; exit 1; }
done
[[ -x "$BUILD/loadgen" && -x "$BUILD/backend" ]] || { echo "run bench/run.sh once first (builds bench/build/)" >&2; exit 1; }
ulimit -n "$(ulimit -Hn)"

OUT="$HERE/out/compare-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
BACKEND_PORT=$((PORT_BASE + 1)); CONTROL_PORT=$((PORT_BASE + 2))
source "$HERE/processes.sh"
wait_port() { local d=$((SECONDS + $2)); while (( SECONDS < d )); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

"$BUILD/backend" --port "$BACKEND_PORT" --control-port "$CONTROL_PORT" > "$OUT/backend.out" 2>&1 & PIDS+=($!)
wait_port "$BACKEND_PORT" 10

# The runtime settings the shipped unit sets, as bench/run.sh does.
env_args=()
for shipped in $(sed -n 's/^Environment=\(DOTNET_GC[A-Za-z0-9_]*=.*\)$/\1/p' "$ROOT/samples/systemd/stratum-proxy.service"); do
    env_args+=("$shipped")
done

PORTS=(); PROXIES=()
for i in 0 1; do
    port=$((PORT_BASE + 10 + 10 * i))
    cat > "$OUT/build$i.json" <<JSON
{
  "Logging": { "LogLevel": { "Default": "Warning" } },
  "Proxy": {
    "DataPath": "$OUT/data$i",
    "Listeners": { "bench": { "Endpoint": "127.0.0.1:$port", "Cluster": "backend" },
                   "bench-tls": { "Endpoint": "127.0.0.1:$((port + 1))", "Cluster": "backend",
                                  "Tls": { "Certificate": "SelfSigned", "Hosts": [ "localhost" ] } } },
    "Clusters": { "backend": { "LoadBalancingPolicy": "LeastConnections",
                               "Destinations": { "backend": { "Address": "127.0.0.1:$BACKEND_PORT" } } } },
    "Management": { "Endpoint": "127.0.0.1:$((port + 2))" }
  },
  "Pool": { "Enabled": false }
}
JSON
    # shellcheck disable=SC2086 # EXTRA_ENV holds NAME=VALUE words
    (cd "$ROOT" && exec env "${env_args[@]}" ${EXTRA_ENV[$i]} dotnet "${BUILDS[$i]}/net10.0/StratumProxy.dll" --config "$OUT/build$i.json") > "$OUT/build$i.out" 2>&1 &
    PROXIES+=($!); PIDS+=($!); PORTS+=("$((port + ${TLS:-0}))")
done
for i in 0 1; do
    wait_port "${PORTS[$i]}" 60 || { echo "build $i did not start, see $OUT/build$i.out" >&2; exit 1; }
done

# Past the JIT first: tiered compilation and PGO re-JIT take the first seconds under load.
for _ in 1 2 3 4 5; do
    for i in 0 1; do
        "$BUILD/loadgen" submit --port "${PORTS[$i]}" ${TLS:+--tls} --conns "$CONNS" --warmup 0 --duration 2 --timeout 20 > /dev/null 2>&1 || true
    done
done

# /proc/PID/stat after the command name: fields 12 and 13 are user and system time, in clock ticks.
ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12, $13}'; }
USER_TICKS=(0 0); SYSTEM_TICKS=(0 0); REQUESTS=(0 0); P99S=("" "")
for round in $(seq 1 "$ROUNDS"); do
    # Alternate which build goes first, so neither always follows the other's window.
    order=(0 1); (( round % 2 == 0 )) && order=(1 0)
    for i in "${order[@]}"; do
        read -r user0 system0 < <(ticks "${PROXIES[$i]}")
        line=$(timeout $((SECONDS_PER_WINDOW + 20)) "$BUILD/loadgen" submit --port "${PORTS[$i]}" ${TLS:+--tls} --conns "$CONNS" --warmup 0 \
            --duration "$SECONDS_PER_WINDOW" --timeout $((SECONDS_PER_WINDOW + 15)) | grep '^RESULT')
        read -r user1 system1 < <(ticks "${PROXIES[$i]}")
        echo "round $round build $i $line" >> "$OUT/windows.txt"
        USER_TICKS[$i]=$((USER_TICKS[$i] + user1 - user0))
        SYSTEM_TICKS[$i]=$((SYSTEM_TICKS[$i] + system1 - system0))
        REQUESTS[$i]=$((REQUESTS[$i] + $(grep -o 'requests=[0-9]*' <<<"$line" | cut -d= -f2)))
        P99S[$i]="${P99S[$i]} $(grep -o 'p99_us=[0-9.]*' <<<"$line" | cut -d= -f2)"
    done
done

hz=$(getconf CLK_TCK)
for i in 0 1; do
    awk -v name="${BUILDS[$i]}${EXTRA_ENV[$i]:+ (${EXTRA_ENV[$i]})}" -v u="${USER_TICKS[$i]}" -v s="${SYSTEM_TICKS[$i]}" -v r="${REQUESTS[$i]}" -v hz="$hz" -v p="${P99S[$i]}" \
        'BEGIN {printf "%s: user %.3f us, system %.3f us, total %.3f us per round trip (%d round trips); p99 per window (us):%s\n",
                name, u * 1e6 / hz / r, s * 1e6 / hz / r, (u + s) * 1e6 / hz / r, r, p}'
done | tee "$OUT/summary.txt"
