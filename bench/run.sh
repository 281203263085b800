#!/usr/bin/env bash
# Side-by-side benchmark of the Stratum proxy against nginx stream, HAProxy tcp and a direct connection.
# Everything runs on 127.0.0.1; every phase is bounded by a timeout. See bench/README.md.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
BUILD="$HERE/build"

RUNS=1
QUICK=0
SCENARIOS="idle,submit,fanout,tls"
TARGETS="direct,nginx,haproxy,ours"
PORT_BASE=17400
OUT=""
INSTALL=1
TLS_KEY="ec"
IDLE_CONNS=""
PROXY_INLINE=1
REPORT_ONLY=0
PROXY_ENV=""
SPLIT_CPUS=""

usage() {
    cat <<EOF
usage: bench/run.sh [--runs N] [--quick] [--scenarios idle,submit,fanout,tls] [--targets direct,nginx,haproxy,ours]
                    [--idle-conns 1000,9800] [--port-base 17400] [--out DIR] [--no-install] [--tls-key ec|rsa]
                    [--proxy-inline 0|1]
  --runs N         repeat every target N times (fresh processes each time) and report medians (default 1)
  --quick          shorter phases for a smoke run (same connection counts for idle)
  --targets        any of: direct nginx haproxy ours ours-inline ours-default ours-unpinned ours-relay
                   (ours = our proxy with --proxy-inline; ours-inline / ours-default force it on / off;
                   ours-unpinned leaves the event loops' CPU placement to the scheduler; ours-relay turns
                   EarlyNotify off, so every miner waits for its own copy of a job, as behind nginx and HAProxy)
  --proxy-inline   DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS for target "ours" (default 1)
  --proxy-env "K=V ..."  extra environment for our proxy (e.g. DOTNET_TieredCompilation=0)
  --cpus P:O       run the proxy (or nginx, HAProxy) on CPUs P and the backend and load generator on CPUs O
                   (taskset lists, e.g. 0:1), so the target does not share cores with the pool and the miners
  --report-only    print the table of an earlier --out DIR again
EOF
    exit 2
}

while [[ $# -gt 0 ]]; do
    case "$1" in
        --runs) RUNS="$2"; shift 2 ;;
        --quick) QUICK=1; shift ;;
        --scenarios) SCENARIOS="$2"; shift 2 ;;
        --targets) TARGETS="$2"; shift 2 ;;
        --idle-conns) IDLE_CONNS="$2"; shift 2 ;;
        --port-base) PORT_BASE="$2"; shift 2 ;;
        --out) OUT="$2"; shift 2 ;;
        --no-install) INSTALL=0; shift ;;
        --tls-key) TLS_KEY="$2"; shift 2 ;;
        --proxy-inline) PROXY_INLINE="$2"; shift 2 ;;
        --report-only) REPORT_ONLY=1; shift ;;
        --proxy-env) PROXY_ENV="$2"; shift 2 ;;
        --cpus) SPLIT_CPUS="$2"; shift 2 ;;
        -h|--help) usage ;;
        *) echo "unknown option: $1" >&2; usage ;;
    esac
done

# With --cpus, every target process and every backend or load generator process starts under its own CPU list.
TARGET_CPUS=(); OTHER_CPUS=()
if [[ -n "$SPLIT_CPUS" ]]; then
    [[ $SPLIT_CPUS == *:* ]] || { echo "--cpus wants PROXY_CPUS:OTHER_CPUS, e.g. 0:1" >&2; exit 2; }
    TARGET_CPUS=(taskset -c "${SPLIT_CPUS%%:*}"); OTHER_CPUS=(taskset -c "${SPLIT_CPUS#*:}")
fi

if [[ $QUICK == 1 ]]; then
    SUBMIT_WARMUP=0.5; SUBMIT_SECONDS=3; FANOUT_ROUNDS=5; SETTLE=0.5; IDLE_SETTLE=3; WARMUP_ROUNDS=16; WARMUP_SECONDS=1.5; WARMUP_MIN_ROUNDS=8; IDLE_CPU_SECONDS=5
    TLS_IDLE_CONNS="1000,4000"
else
    SUBMIT_WARMUP=1; SUBMIT_SECONDS=10; FANOUT_ROUNDS=20; SETTLE=1; IDLE_SETTLE=3; WARMUP_ROUNDS=20; WARMUP_SECONDS=2; WARMUP_MIN_ROUNDS=8; IDLE_CPU_SECONDS=10
    TLS_IDLE_CONNS="1000,9800"
fi
# 9 800, not 9 900: a .NET process holds ~210 descriptors of its own (assemblies, pipes, inotify), so under the
# 20 000 open-files limit it fits 2 × 9 800 + 210 but not 2 × 9 900 + 210. All targets are measured at the same count.
IDLE_CONNS="${IDLE_CONNS:-1000,9800}"
# Bursts after the idle scenario (see scenario_setup_warm). Bounded by the ports a closed connection holds for a
# minute (TIME_WAIT): 9 800 + 4 × 3 000 stays within the 28 000 ephemeral ports per destination.
SETUP_WARM_ROUNDS=3; SETUP_WARM_CONNS=3000; TLS_SETUP_WARM_CONNS=1000
SUBMIT_CONNS=50
FANOUT_CONNS=5000

BACKEND_PORT=$((PORT_BASE + 1))
CONTROL_PORT=$((PORT_BASE + 2))
PLAIN_PORT=$((PORT_BASE + 10))
TLS_PORT=$((PORT_BASE + 11))
MGMT_PORT=$((PORT_BASE + 12))

OUT="${OUT:-$HERE/out/$(date -u +%Y%m%dT%H%M%SZ)}"
# Absolute: nginx takes its configuration relative to the prefix it is given, which is this directory.
OUT="$(realpath -m "$OUT")"
mkdir -p "$OUT"
RESULTS="$OUT/results.tsv"
[[ $REPORT_ONLY == 1 ]] || : > "$RESULTS"
LOG="$OUT/run.log"

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" | tee -a "$LOG" >&2; }

# ---------------------------------------------------------------- processes
declare -a STARTED=()
cleanup() {
    local pid
    for pid in "${STARTED[@]:-}"; do
        [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true
    done
    sleep 0.2
    for pid in "${STARTED[@]:-}"; do
        [[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Stops one started process (and waits, bounded) so the next target starts on a quiet machine.
stop_pid() {
    local pid="$1" i
    kill "$pid" 2>/dev/null || return 0
    for i in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
}

wait_port() { # port seconds
    local port="$1" deadline=$((SECONDS + $2))
    while (( SECONDS < deadline )); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    return 1
}

# True when the port completes a handshake; the version and cipher it chose go to the log (all targets should agree).
speaks_tls() { # port
    local out
    out=$(timeout 10 openssl s_client -connect "127.0.0.1:$1" -servername localhost -brief </dev/null 2>&1) || return 1
    grep -q 'CONNECTION ESTABLISHED' <<<"$out" || return 1
    echo "TLS on $1: $(grep -E '^(Protocol version|Ciphersuite):' <<<"$out" | tr '\n' ' ')" >> "$LOG"
}

cpu_ticks() { # pids -> user + system clock ticks of all their threads, exited ones included
    local pid
    for pid in "$@"; do sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null; done | awk '{t += $12 + $13} END {print t + 0}'
}

# VmRSS (KiB) summed over the given pids.
rss_kib() {
    local total=0 pid v
    for pid in "$@"; do
        v=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
        total=$((total + ${v:-0}))
    done
    echo "$total"
}

# ---------------------------------------------------------------- setup
install_packages() {
    local missing=()
    command -v gcc >/dev/null || missing+=(gcc libc6-dev)
    [[ -f /usr/include/openssl/ssl.h ]] || missing+=(libssl-dev)
    command -v openssl >/dev/null || missing+=(openssl)
    if [[ ",$TARGETS," == *",nginx,"* ]]; then
        command -v nginx >/dev/null || missing+=(nginx)
        [[ -f /usr/lib/nginx/modules/ngx_stream_module.so ]] || missing+=(libnginx-mod-stream)
    fi
    if [[ ",$TARGETS," == *",haproxy,"* ]]; then command -v haproxy >/dev/null || missing+=(haproxy); fi
    [[ ${#missing[@]} -eq 0 ]] && return 0
    if [[ $INSTALL == 0 ]]; then echo "missing packages: ${missing[*]} (run without --no-install)" >&2; exit 1; fi
    log "installing ${missing[*]}"
    # Packages only; do not let their maintainer scripts start system-wide services.
    local policy_created=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && policy_created=1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends "${missing[@]}" >>"$LOG" 2>&1 ||
        { apt-get update >>"$LOG" 2>&1 && apt-get install -y --no-install-recommends "${missing[@]}" >>"$LOG" 2>&1; }
    [[ $policy_created == 1 ]] && rm -f /usr/sbin/policy-rc.d
    return 0
}

build_tools() {
    mkdir -p "$BUILD"
    gcc -O2 -Wall -Wextra -Werror -o "$BUILD/backend" "$HERE/backend/backend.c"
    gcc -O2 -Wall -Wextra -Werror -o "$BUILD/loadgen" "$HERE/loadgen/loadgen.c" -lssl -lcrypto
}

OURS_DLL="$ROOT/src/StratumProxy/bin/Release/net10.0/StratumProxy.dll"
build_proxy() {
    log "building the proxy (Release)"
    timeout 600 dotnet build -c Release "$ROOT/src/StratumProxy/StratumProxy.csproj" -v quiet -nologo >>"$LOG" 2>&1 ||
        { echo "proxy build failed, see $LOG" >&2; exit 1; }
}

make_cert() {
    [[ -f "$OUT/cert.pem" ]] && return 0
    if [[ $TLS_KEY == rsa ]]; then
        openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=localhost -addext subjectAltName=DNS:localhost \
            -keyout "$OUT/key.pem" -out "$OUT/cert.pem" >>"$LOG" 2>&1
    else
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 -subj /CN=localhost \
            -addext subjectAltName=DNS:localhost -keyout "$OUT/key.pem" -out "$OUT/cert.pem" >>"$LOG" 2>&1
    fi
    cat "$OUT/cert.pem" "$OUT/key.pem" > "$OUT/combined.pem"
}

write_configs() {
    cat > "$OUT/nginx.conf" <<EOF
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
worker_processes 2;
worker_rlimit_nofile 20000;
pid $OUT/nginx.pid;
error_log $OUT/nginx-error.log warn;
events { worker_connections 20000; }
stream {
    upstream backend { least_conn; server 127.0.0.1:$BACKEND_PORT; }
    server { listen 127.0.0.1:$PLAIN_PORT; proxy_pass backend; proxy_timeout 10m; }
    server {
        listen 127.0.0.1:$TLS_PORT ssl;
        ssl_certificate $OUT/cert.pem;
        ssl_certificate_key $OUT/key.pem;
        # nginx 1.22 offers TLS 1.2 at most unless told; HAProxy and our proxy negotiate 1.3, and so must it here.
        ssl_protocols TLSv1.2 TLSv1.3;
        proxy_pass backend;
        proxy_timeout 10m;
    }
}
EOF
    cat > "$OUT/haproxy.cfg" <<EOF
global
    nbthread 2
    maxconn 9950
    log stderr format raw local0 err
defaults
    mode tcp
    timeout connect 5s
    timeout client 10m
    timeout server 10m
frontend stratum
    bind 127.0.0.1:$PLAIN_PORT
    bind 127.0.0.1:$TLS_PORT ssl crt $OUT/combined.pem
    default_backend pool
backend pool
    balance leastconn
    server backend 127.0.0.1:$BACKEND_PORT
EOF
    cat > "$OUT/ours.json" <<EOF
{
  "Logging": { "LogLevel": { "Default": "Warning" } },
  "Proxy": {
    "DataPath": "$OUT/ours-data",
    "Listeners": {
      "bench": { "Endpoint": "127.0.0.1:$PLAIN_PORT", "Cluster": "backend" },
      "bench-tls": { "Endpoint": "127.0.0.1:$TLS_PORT", "Cluster": "backend",
                     "Tls": { "Certificate": "SelfSigned", "Hosts": [ "localhost" ] } }
    },
    "Clusters": {
      "backend": {
        "LoadBalancingPolicy": "LeastConnections",
        "Destinations": { "backend": { "Address": "127.0.0.1:$BACKEND_PORT" } }
      }
    },
    "Limits": { "MaxConnections": 100000 },
    "Management": { "Endpoint": "127.0.0.1:$MGMT_PORT" }
  },
  "Pool": { "Enabled": false }
}
EOF
}

# ---------------------------------------------------------------- targets
# start_target NAME: sets TARGET_PIDS (all processes whose RSS/CPU count), TARGET_PORT, TARGET_TLS_PORT.
TARGET_PIDS=""; TARGET_PORT=""; TARGET_TLS_PORT=""; TARGET_MAIN=""
start_target() {
    local name="$1" scenario="$2"
    TARGET_PIDS=""; TARGET_TLS_PORT=""; TARGET_MAIN=""
    case "$name" in
        direct)
            TARGET_PORT=$BACKEND_PORT
            return 0 ;;
        nginx)
            "${TARGET_CPUS[@]}" nginx -p "$OUT" -c "$OUT/nginx.conf" -g 'daemon off;' >>"$OUT/nginx.out" 2>&1 &
            TARGET_MAIN=$!; STARTED+=("$TARGET_MAIN")
            TARGET_PORT=$PLAIN_PORT; TARGET_TLS_PORT=$TLS_PORT
            wait_port "$PLAIN_PORT" 10 || { log "nginx did not start"; return 1; }
            local i workers=""
            for i in $(seq 1 50); do
                workers=$(pgrep -P "$TARGET_MAIN" | tr '\n' ' ')
                [[ $(wc -w <<<"$workers") -ge 2 ]] && break
                sleep 0.1
            done
            TARGET_PIDS="$TARGET_MAIN $workers"
            [[ $scenario != tls ]] || speaks_tls "$TLS_PORT" || log "nginx: no TLS handshake on $TLS_PORT" ;;
        haproxy)
            "${TARGET_CPUS[@]}" haproxy -db -f "$OUT/haproxy.cfg" >>"$OUT/haproxy.out" 2>&1 &
            TARGET_MAIN=$!; STARTED+=("$TARGET_MAIN")
            TARGET_PORT=$PLAIN_PORT; TARGET_TLS_PORT=$TLS_PORT
            wait_port "$PLAIN_PORT" 10 || { log "haproxy did not start"; return 1; }
            TARGET_PIDS="$TARGET_MAIN"
            [[ $scenario != tls ]] || speaks_tls "$TLS_PORT" || log "haproxy: no TLS handshake on $TLS_PORT" ;;
        ours|ours-inline|ours-default|ours-unpinned|ours-relay)
            local inline=$PROXY_INLINE
            [[ $name == ours-inline ]] && inline=1
            [[ $name == ours-default ]] && inline=0
            local -a env_args=()
            [[ $inline == 1 ]] && env_args=(DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1)
            # The runtime settings the shipped unit sets (the image sets the same): measure what operators run.
            local shipped
            for shipped in $(sed -n 's/^Environment=\(DOTNET_GC[A-Za-z0-9_]*=.*\)$/\1/p' "$ROOT/samples/systemd/stratum-proxy.service"); do
                env_args+=("$shipped")
            done
            [[ $name == ours-unpinned ]] && env_args+=(STRATUM_PROXY_PIN_LOOPS=0)
            [[ $name == ours-relay ]] && env_args+=(Proxy__Clusters__backend__EarlyNotify=false)
            local kv
            for kv in $PROXY_ENV; do env_args+=("$kv"); done
            (cd "$ROOT" && exec "${TARGET_CPUS[@]}" env "${env_args[@]}" DOTNET_CLI_TELEMETRY_OPTOUT=1 \
                dotnet "$OURS_DLL" --config "$OUT/ours.json") >>"$OUT/$name.out" 2>&1 &
            TARGET_MAIN=$!; STARTED+=("$TARGET_MAIN")
            TARGET_PORT=$PLAIN_PORT
            wait_port "$PLAIN_PORT" 60 || { log "$name did not start (see $OUT/$name.out)"; return 1; }
            if [[ $scenario == tls ]]; then
                # A build without TLS support may still open the port as plain TCP: check that it completes a handshake.
                if wait_port "$TLS_PORT" 20 && speaks_tls "$TLS_PORT"; then TARGET_TLS_PORT=$TLS_PORT
                else log "$name has no working TLS listener on $TLS_PORT"; fi
            fi
            TARGET_PIDS="$TARGET_MAIN" ;;
        *) echo "unknown target $name" >&2; exit 2 ;;
    esac
}

stop_target() {
    if [[ -n "$TARGET_MAIN" ]]; then stop_pid "$TARGET_MAIN"; fi
    TARGET_MAIN=""
}

BACKEND_PID=""
start_backend() {
    "${OTHER_CPUS[@]}" "$BUILD/backend" --port "$BACKEND_PORT" --control-port "$CONTROL_PORT" --notify-bytes 600 >>"$OUT/backend.out" 2>&1 &
    BACKEND_PID=$!; STARTED+=("$BACKEND_PID")
    wait_port "$BACKEND_PORT" 10 || { log "backend did not start"; exit 1; }
}

record() { # run target metric value
    [[ -n "$4" && "$4" != "-1" && "$4" != "-1.00" && "$4" != "-1.0" ]] && printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$RESULTS"
    return 0
}

field() { # line key
    tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k {print $2}'
}

# ---------------------------------------------------------------- scenarios
# Brings the target to steady state before anything is measured: rounds of the submit loop until the proxy's CPU
# per round trip settles (at least WARMUP_MIN_ROUNDS rounds, then three rounds in a row within 10 % of each other).
# A .NET process spends its first seconds in the JIT (tiered compilation, PGO re-JIT); over TLS the OpenSSL interop
# and SslStream paths tier up only after ~10 s of load, after a plateau that looks stable (104, 102, 103 µs, then 43).
# Measuring earlier would time the compiler, not the forwarding.
target_pids_arg() { # sets the caller's pids_arg to the load generator's --pids for the target's processes, if any
    [[ -z "$TARGET_PIDS" ]] || pids_arg=(--pids "$(tr ' ' ',' <<<"$TARGET_PIDS" | sed 's/,*$//')")
}

warm_up() { # port [tls]
    local port="$1" tls="${2:-}" round prev="" prev2="" cur line
    local -a pids_arg=()
    target_pids_arg
    for round in $(seq 1 "$WARMUP_ROUNDS"); do
        line=$(timeout 30 "${OTHER_CPUS[@]}" "$BUILD/loadgen" submit --port "$port" ${tls:+--tls} --conns "$SUBMIT_CONNS" --warmup 0 \
            --duration "$WARMUP_SECONDS" "${pids_arg[@]}" --timeout 25 2>>"$LOG" | grep '^RESULT' || true)
        cur=$(field "$line" proxy_cpu_us)
        [[ -z "$cur" || "$cur" == "-1.00" ]] && return 0
        echo "warm-up round $round: proxy CPU $cur µs per round trip" >> "$LOG"
        if [[ -n "$prev2" && $round -ge $WARMUP_MIN_ROUNDS ]] && awk -v a="$prev2" -v b="$prev" -v c="$cur" 'BEGIN {
                lo = a; if (b < lo) lo = b; if (c < lo) lo = c; hi = a; if (b > hi) hi = b; if (c > hi) hi = c
                exit !((hi - lo) / lo < 0.10) }'; then
            return 0
        fi
        prev2="$prev"; prev="$cur"
    done
}

# Idle miners: RSS before, at each checkpoint; set-up rate of the largest step.
scenario_idle() { # run target port prefix [tls]
    local run="$1" target="$2" port="$3" prefix="$4" tls="${5:-}" conns="$IDLE_CONNS"
    [[ -n "$tls" ]] && conns="$TLS_IDLE_CONNS"
    warm_up "$port" "$tls"
    sleep "$SETTLE"
    local before=0
    [[ -n "$TARGET_PIDS" ]] && before=$(rss_kib $TARGET_PIDS)
    local out="$OUT/loadgen-$prefix-$target-$run.out"
    : > "$out"
    # Not wrapped in timeout(1): the harness signals the load generator itself; --timeout bounds it.
    "${OTHER_CPUS[@]}" "$BUILD/loadgen" idle --port "$port" ${tls:+--tls} --conns "$conns" --concurrency 200 --hold 60 --timeout 240 \
        > "$out" 2>&1 &
    local lg=$!; STARTED+=("$lg")
    local stages n=0 want prev_rss=0 prev_ready=0
    want=$(tr ',' ' ' <<<"$conns" | wc -w)
    local deadline=$((SECONDS + 250))
    while (( n < want && SECONDS < deadline )) && kill -0 "$lg" 2>/dev/null; do
        stages=$(grep -c '^STAGE' "$out" || true)
        if (( stages > n )); then
            n=$stages
            local line; line=$(grep '^STAGE' "$out" | sed -n "${n}p")
            sleep "$SETTLE"
            local c ready rate cpu
            c=$(field "$line" conns); ready=$(field "$line" ready); rate=$(field "$line" setup_rate); cpu=$(field "$line" loadgen_cpu_pct)
            if [[ "$ready" != "$c" ]]; then log "$target $prefix: only $ready of $c connections set up"; fi
            if [[ -n "$TARGET_PIDS" && "$ready" -gt 0 ]]; then
                # Right after the set-up, and again once the miners have been idle for IDLE_SETTLE seconds (a proxy
                # may give back what the set-up left); the idle figure is the second.
                local burst after; burst=$(rss_kib $TARGET_PIDS)
                sleep "$(awk -v a="$IDLE_SETTLE" -v b="$SETTLE" 'BEGIN {print (a > b ? a - b : 0)}')"
                after=$(rss_kib $TARGET_PIDS)
                record "$run" "$target" "${prefix}_burst_kib_$n" "$(awk -v a="$burst" -v b="$before" -v c="$ready" 'BEGIN {printf "%.2f", (a-b)/c}')"
                record "$run" "$target" "${prefix}_kib_$n" "$(awk -v a="$after" -v b="$before" -v c="$ready" 'BEGIN {printf "%.2f", (a-b)/c}')"
                if (( n > 1 && ready > prev_ready )); then
                    record "$run" "$target" "${prefix}_marginal_kib" "$(awk -v a="$after" -v b="$prev_rss" -v c="$((ready - prev_ready))" 'BEGIN {printf "%.2f", (a-b)/c}')"
                fi
                prev_rss=$after; prev_ready=$ready
                log "$target $prefix: $ready conns, RSS $before -> $burst KiB right after set-up, $after KiB after ${IDLE_SETTLE}s idle"
            fi
            if (( n == want )); then
                record "$run" "$target" "${prefix}_setup_rate" "$rate"
                record "$run" "$target" "${prefix}_setup_loadgen_cpu" "$cpu"
                if [[ -n "$TARGET_PIDS" && "$ready" -gt 0 ]]; then
                    # What the miners cost while they only hold their connections: timers, sweeps, heartbeats.
                    local ticks0 ticks1; ticks0=$(cpu_ticks $TARGET_PIDS)
                    sleep "$IDLE_CPU_SECONDS"
                    ticks1=$(cpu_ticks $TARGET_PIDS)
                    record "$run" "$target" "${prefix}_cpu_ms_per_s" "$(awk -v t=$((ticks1 - ticks0)) -v hz="$(getconf CLK_TCK)" -v s="$IDLE_CPU_SECONDS" 'BEGIN {printf "%.2f", t * 1000 / hz / s}')"
                fi
            fi
            kill -USR1 "$lg" 2>/dev/null || true
        else
            sleep 0.1
        fi
    done
    kill -TERM "$lg" 2>/dev/null || true
    wait "$lg" 2>/dev/null || true
    scenario_setup_warm "$run" "$target" "$port" "$prefix" "$tls"
}

# Set-up again once the set-up path has run a few thousand times more. The rate above is a burst meeting a freshly
# started process (a .NET proxy still compiles its connection path then); a proxy that has run for a while meets a
# reconnect storm with more of that path compiled. SETUP_WARM_ROUNDS bursts of SETUP_WARM_CONNS connect, subscribe,
# authorize and close; then one more burst, whose set-up rate is recorded, holds its miners until all are set up, so
# no closes are counted in it.
scenario_setup_warm() { # run target port prefix [tls]
    local run="$1" target="$2" port="$3" prefix="$4" tls="${5:-}" conns="$SETUP_WARM_CONNS" round line="" hold
    [[ -n "$tls" ]] && conns="$TLS_SETUP_WARM_CONNS"
    for round in $(seq 0 "$SETUP_WARM_ROUNDS"); do
        hold=0
        if (( round == SETUP_WARM_ROUNDS )); then hold=1; sleep "$SETTLE"; fi
        line=$("${OTHER_CPUS[@]}" "$BUILD/loadgen" idle --port "$port" ${tls:+--tls} --conns "$conns" --concurrency 200 --hold "$hold" \
            --timeout 60 2>>"$LOG" | grep '^STAGE' || true)
        echo "$target $prefix set-up round $round: $line" >> "$LOG"
    done
    [[ "$(field "$line" ready)" == "$conns" ]] || { log "$target $prefix: warm set-up incomplete ($line)"; return 0; }
    record "$run" "$target" "${prefix}_setup_warm_rate" "$(field "$line" setup_rate)"
    record "$run" "$target" "${prefix}_setup_warm_loadgen_cpu" "$(field "$line" loadgen_cpu_pct)"
}

scenario_submit() { # run target port prefix [tls]
    local run="$1" target="$2" port="$3" prefix="$4" tls="${5:-}"
    local pids_arg=()
    target_pids_arg
    local out="$OUT/loadgen-$prefix-$target-$run.out"
    timeout 120 "${OTHER_CPUS[@]}" "$BUILD/loadgen" submit --port "$port" ${tls:+--tls} --conns "$SUBMIT_CONNS" --warmup "$SUBMIT_WARMUP" \
        --duration "$SUBMIT_SECONDS" "${pids_arg[@]}" --timeout 100 > "$out" 2>&1 || log "$target $prefix: loadgen reported a problem"
    local line; line=$(grep '^RESULT' "$out" | tail -1 || true)
    [[ -z "$line" ]] && { log "$target $prefix: no result"; return 0; }
    log "$target $prefix: $line"
    record "$run" "$target" "${prefix}_rps" "$(field "$line" rps)"
    record "$run" "$target" "${prefix}_p50_us" "$(field "$line" p50_us)"
    record "$run" "$target" "${prefix}_p99_us" "$(field "$line" p99_us)"
    record "$run" "$target" "${prefix}_p999_us" "$(field "$line" p999_us)"
    [[ -n "$TARGET_PIDS" ]] && record "$run" "$target" "${prefix}_cpu_us" "$(field "$line" proxy_cpu_us)"
    [[ -n "$TARGET_PIDS" ]] && record "$run" "$target" "${prefix}_proxy_cpu_pct" "$(field "$line" proxy_cpu_pct)"
    record "$run" "$target" "${prefix}_loadgen_cpu" "$(field "$line" loadgen_cpu_pct)"
}

scenario_fanout() { # run target port
    local run="$1" target="$2" port="$3"
    local out="$OUT/loadgen-fanout-$target-$run.out"
    local pids_arg=()
    target_pids_arg
    timeout 180 "${OTHER_CPUS[@]}" "$BUILD/loadgen" fanout --port "$port" --control-port "$CONTROL_PORT" --conns "$FANOUT_CONNS" \
        --rounds "$FANOUT_ROUNDS" --interval-ms 200 "${pids_arg[@]}" --timeout 160 > "$out" 2>&1 \
        || log "$target fanout: loadgen reported a problem"
    local line; line=$(grep '^RESULT' "$out" | tail -1 || true)
    [[ -z "$line" ]] && { log "$target fanout: no result"; return 0; }
    log "$target fanout: $line"
    record "$run" "$target" fanout_last_p50_ms "$(field "$line" last_p50_ms)"
    record "$run" "$target" fanout_last_p99_ms "$(field "$line" last_p99_ms)"
    record "$run" "$target" fanout_backend_write_ms "$(field "$line" backend_write_ms)"
    [[ -n "$TARGET_PIDS" ]] && record "$run" "$target" fanout_cpu_us "$(field "$line" proxy_cpu_us)"
    record "$run" "$target" fanout_loadgen_cpu "$(field "$line" loadgen_cpu_pct)"
}

run_one() { # run target scenario
    local run="$1" target="$2" scenario="$3"
    start_backend
    if ! start_target "$target" "$scenario"; then stop_target; stop_pid "$BACKEND_PID"; return 0; fi
    case "$scenario" in
        idle) scenario_idle "$run" "$target" "$TARGET_PORT" idle ;;
        submit) warm_up "$TARGET_PORT"; scenario_submit "$run" "$target" "$TARGET_PORT" submit ;;
        fanout) warm_up "$TARGET_PORT"; scenario_fanout "$run" "$target" "$TARGET_PORT" ;;
        tls)
            if [[ $target == direct ]]; then :
            elif [[ -z "$TARGET_TLS_PORT" ]]; then log "$target: no TLS listener, TLS skipped"
            else
                scenario_idle "$run" "$target" "$TARGET_TLS_PORT" tls_idle tls
                stop_target; stop_pid "$BACKEND_PID"
                start_backend; start_target "$target" "$scenario" || return 0
                warm_up "$TARGET_TLS_PORT" tls
                scenario_submit "$run" "$target" "$TARGET_TLS_PORT" tls_submit tls
            fi ;;
    esac
    stop_target
    stop_pid "$BACKEND_PID"
}

# ---------------------------------------------------------------- report
median_of() { sort -g | awk '{v[NR]=$1} END {if (NR==0) exit; if (NR%2) printf "%s", v[(NR+1)/2]; else printf "%.2f", (v[NR/2]+v[NR/2+1])/2}'; }

value() { # target metric -> median over runs
    awk -F'\t' -v t="$1" -v m="$2" '$2 == t && $3 == m {print $4}' "$RESULTS" | median_of
}

fmt() { # number -> rounded for display
    [[ -z "$1" ]] && { echo "—"; return; }
    awk -v v="$1" 'BEGIN { if (v >= 100) printf "%.0f", v; else if (v >= 10) printf "%.1f", v; else printf "%.2f", v }'
}

report() {
    local -a targets; IFS=',' read -r -a targets <<<"$TARGETS"
    local -a ours=() others=()
    local t
    for t in "${targets[@]}"; do
        if [[ $t == ours* ]]; then ours+=("$t"); else others+=("$t"); fi
    done
    local idle_big; idle_big=$(tr ',' '\n' <<<"$IDLE_CONNS" | tail -1)
    local idle_small; idle_small=$(tr ',' '\n' <<<"$IDLE_CONNS" | head -1)
    local tls_big; tls_big=$(tr ',' '\n' <<<"$TLS_IDLE_CONNS" | tail -1)
    local -a rows=(
        "idle_kib_1|idle memory per miner (KiB, $idle_small conns)"
        "idle_kib_2|idle memory per miner (KiB, $idle_big conns)"
        "idle_marginal_kib|memory per further idle miner, $idle_small → $idle_big (KiB)"
        "idle_burst_kib_2|  right after set-up, before ${IDLE_SETTLE} s idle (KiB, $idle_big conns)"
        "idle_cpu_ms_per_s|proxy CPU while $idle_big miners idle (ms per second, over ${IDLE_CPU_SECONDS} s)"
        "idle_setup_rate|connection set-up (conn/s, subscribe+authorize)"
        "idle_setup_loadgen_cpu|  load generator CPU during set-up (%)"
        "idle_setup_warm_rate|connection set-up after $SETUP_WARM_ROUNDS bursts of $SETUP_WARM_CONNS more (conn/s)"
        "idle_setup_warm_loadgen_cpu|  load generator CPU during that set-up (%)"
        "submit_cpu_us|proxy CPU per submit round trip (µs)"
        "submit_rps|submit round trips/s, $SUBMIT_CONNS conns"
        "submit_p50_us|submit p50 (µs)"
        "submit_p99_us|submit p99 (µs)"
        "submit_p999_us|submit p99.9 (µs)"
        "submit_proxy_cpu_pct|  proxy CPU during submit (% of a core)"
        "submit_loadgen_cpu|  load generator CPU during submit (%)"
        "fanout_last_p50_ms|fan-out to $FANOUT_CONNS, last miner p50 (ms)"
        "fanout_last_p99_ms|fan-out to $FANOUT_CONNS, last miner p99 (ms)"
        "fanout_backend_write_ms|  backend's time to write the broadcast (ms)"
        "fanout_cpu_us|  proxy CPU per notify delivered (µs)"
        "fanout_loadgen_cpu|  load generator CPU during fan-out (%)"
        "tls_idle_kib_2|TLS idle memory per miner (KiB, $tls_big conns)"
        "tls_idle_marginal_kib|TLS memory per further idle miner (KiB)"
        "tls_idle_cpu_ms_per_s|proxy CPU while $tls_big TLS miners idle (ms per second, over ${IDLE_CPU_SECONDS} s)"
        "tls_idle_setup_rate|TLS connection set-up, full handshakes (conn/s)"
        "tls_idle_setup_loadgen_cpu|  load generator CPU during TLS set-up (%)"
        "tls_idle_setup_warm_rate|TLS connection set-up after $SETUP_WARM_ROUNDS bursts of $TLS_SETUP_WARM_CONNS more (conn/s)"
        "tls_idle_setup_warm_loadgen_cpu|  load generator CPU during that TLS set-up (%)"
        "tls_submit_cpu_us|TLS proxy CPU per submit round trip (µs)"
        "tls_submit_p99_us|TLS submit p99 (µs)"
        "tls_submit_loadgen_cpu|  load generator CPU during TLS submit (%)"
    )
    local header="| metric |" sep="|---|"
    for t in "${targets[@]}"; do header+=" $t |"; sep+="---|"; done
    local o x
    for o in "${ours[@]}"; do for x in "${others[@]}"; do header+=" $o ÷ $x |"; sep+="---|"; done; done
    echo
    echo "Runs: $RUNS (medians), quick: $QUICK, $(nproc) cores${SPLIT_CPUS:+ (target on CPUs ${SPLIT_CPUS%%:*}, backend and load generator on ${SPLIT_CPUS#*:})}, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)"
    echo
    echo "$header"
    echo "$sep"
    local row key label line v any
    for row in "${rows[@]}"; do
        key="${row%%|*}"; label="${row#*|}"
        line="| $label |"; any=0
        declare -A vals=()
        for t in "${targets[@]}"; do
            v=$(value "$t" "$key"); vals[$t]="$v"
            [[ -n "$v" ]] && any=1
            line+=" $(fmt "$v") |"
        done
        for o in "${ours[@]}"; do for x in "${others[@]}"; do
            if [[ -n "${vals[$o]}" && -n "${vals[$x]}" ]]; then
                line+=" $(awk -v a="${vals[$o]}" -v b="${vals[$x]}" 'BEGIN { if (b == 0) print "—"; else printf "%.2f", a/b }') |"
            else line+=" — |"; fi
        done; done
        unset vals
        [[ $any == 1 ]] && echo "$line"
    done
    echo
    echo "Ratios are ours ÷ other within this run: below 1 is better for memory, CPU and latency; above 1 is better for rates."
    echo "Raw figures: $RESULTS; logs: $OUT"
}

# ---------------------------------------------------------------- main
if [[ $REPORT_ONLY == 1 ]]; then report; exit 0; fi
ulimit -n "$(ulimit -Hn)"
install_packages
build_tools
[[ ",$TARGETS," == *",ours"* ]] && build_proxy
make_cert
write_configs
log "output in $OUT (targets $TARGETS, scenarios $SCENARIOS, runs $RUNS, quick $QUICK, open files $(ulimit -n))"

IFS=',' read -r -a TARGET_LIST <<<"$TARGETS"
IFS=',' read -r -a SCENARIO_LIST <<<"$SCENARIOS"
for run in $(seq 1 "$RUNS"); do
    for scenario in "${SCENARIO_LIST[@]}"; do
        for target in "${TARGET_LIST[@]}"; do
            log "run $run: $scenario on $target"
            run_one "$run" "$target" "$scenario"
        done
    done
done
report | tee "$OUT/table.md"
