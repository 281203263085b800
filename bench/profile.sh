#!/usr/bin/env bash
# Profiles our proxy alone. Needs bench/run.sh to have built the tools and the proxy once.
#   bench/profile.sh [--mode submit] [--inline 0|1] [--seconds 8] [--conns 50] [--port-base 17500]
#     runtime counters under the submit loop: allocations, GCs, thread-pool work items per round trip
#     (dotnet tool install -g dotnet-counters)
#   bench/profile.sh --mode idle [--conns 9800]
#     heap of N idle miners by type, to see what a session keeps (dotnet tool install -g dotnet-gcdump)
#   bench/profile.sh --mode perf [--seconds 8]
#     where the CPU goes under the submit loop: Linux perf samples, JIT-compiled frames named from the perf map, and
#     each sample counted once by what its stack was doing (user space, recv, send, epoll_wait, switched out)
#   bench/profile.sh --mode split [--seconds 15]
#     user and system time per round trip and their ratio; the ratio changes little when the host is faster or
#     slower, so it compares builds that differ in user-space work better than CPU per round trip does
#   --target nginx|haproxy (perf and split modes): the same for nginx stream or HAProxy tcp instead of our proxy,
#     to put the kernel's and user space's share per round trip side by side
#   --load fanout (submit, perf and split modes): the backend broadcasts a 600-byte mining.notify to --conns miners
#     (5 000) ten times a second instead of the submit loop; figures are per notify delivered, and the last miner's
#     time is printed for every round
#   --interval-ms N (--load fanout): the pause between rounds (100; bench/run.sh uses 200)
#   --env "NAME=VALUE ..." (target ours): runtime settings added to the proxy's environment, to compare one build
#     under two settings; the split mode with --load fanout also prints the proxy's thread switches per notify
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
BUILD="$HERE/build"
INLINE=1
SECONDS_TO_RUN=8
CONNS=""
PORT_BASE=17500
MODE=submit
TARGET=ours
LOAD=submit
INTERVAL_MS=100
EXTRA_ENV=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --inline) INLINE="$2"; shift 2 ;;
        --mode) MODE="$2"; shift 2 ;;
        --seconds) SECONDS_TO_RUN="$2"; shift 2 ;;
        --conns) CONNS="$2"; shift 2 ;;
        --port-base) PORT_BASE="$2"; shift 2 ;;
        --target) TARGET="$2"; shift 2 ;;
        --load) LOAD="$2"; shift 2 ;;
        --env) EXTRA_ENV="$2"; shift 2 ;;
        --interval-ms) INTERVAL_MS="$2"; shift 2 ;;
        *) echo "usage: bench/profile.sh [--mode submit|idle|perf|split] [--target ours|nginx|haproxy] [--load submit|fanout] [--env "NAME=VALUE ..."] [--interval-ms N] [--inline 0|1] [--seconds N] [--conns N] [--port-base N]" >&2; exit 2 ;;
    esac
done
case $LOAD in
    submit) LOAD_CONNS=50 ;;
    fanout) LOAD_CONNS=5000; [[ $MODE != idle ]] || { echo "--load fanout goes with --mode submit, perf or split" >&2; exit 2; } ;;
    *) echo "unknown load $LOAD: submit or fanout" >&2; exit 2 ;;
esac
case $MODE in
    idle) CONNS="${CONNS:-9800}"; TOOL=dotnet-gcdump ;;
    perf) CONNS="${CONNS:-$LOAD_CONNS}"; TOOL=perf ;;
    split) CONNS="${CONNS:-$LOAD_CONNS}"; TOOL=awk ;;
    *) CONNS="${CONNS:-$LOAD_CONNS}"; TOOL=dotnet-counters ;;
esac
case $TARGET in
    ours) ;;
    nginx|haproxy)
        [[ $MODE == perf || $MODE == split ]] || { echo "--target $TARGET goes with --mode perf or split" >&2; exit 2; }
        command -v "$TARGET" > /dev/null || { echo "$TARGET not installed (bench/run.sh installs it)" >&2; exit 1; } ;;
    *) echo "unknown target $TARGET: ours, nginx or haproxy" >&2; exit 2 ;;
esac
TOOL_PATH="$(command -v "$TOOL" || echo "$HOME/.dotnet/tools/$TOOL")"
[[ -x "$TOOL_PATH" ]] || { echo "$TOOL not found: dotnet tool install -g $TOOL" >&2; exit 1; }
COUNTERS="$TOOL_PATH"
ulimit -n "$(ulimit -Hn)"
[[ -x "$BUILD/loadgen" ]] || { echo "run bench/run.sh once first (builds bench/build/)" >&2; exit 1; }
DLL="$ROOT/src/StratumProxy/bin/Release/net10.0/StratumProxy.dll"
[[ $TARGET != ours || -f "$DLL" ]] || { echo "build the proxy first: dotnet build -c Release src/StratumProxy" >&2; exit 1; }

OUT="$HERE/out/profile-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
BACKEND_PORT=$((PORT_BASE + 1)); CONTROL_PORT=$((PORT_BASE + 2)); PLAIN_PORT=$((PORT_BASE + 10)); MGMT_PORT=$((PORT_BASE + 12))
cat > "$OUT/ours.json" <<EOF
{
  "Logging": { "LogLevel": { "Default": "Warning" } },
  "Proxy": {
    "Listeners": { "bench": { "Endpoint": "127.0.0.1:$PLAIN_PORT", "Cluster": "backend" } },
    "Clusters": { "backend": { "LoadBalancingPolicy": "LeastConnections",
                               "Destinations": { "backend": { "Address": "127.0.0.1:$BACKEND_PORT" } } } },
    "Management": { "Endpoint": "127.0.0.1:$MGMT_PORT" }
  },
  "Pool": { "Enabled": false }
}
EOF

source "$HERE/processes.sh"
wait_port() { local d=$((SECONDS + $2)); while (( SECONDS < d )); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

"$BUILD/backend" --port "$BACKEND_PORT" --control-port "$CONTROL_PORT" --notify-bytes 600 > "$OUT/backend.out" 2>&1 & PIDS+=($!)
wait_port "$BACKEND_PORT" 10
case $TARGET in
    ours)
        env_args=()
        [[ $INLINE == 1 ]] && env_args=(DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1)
        # The runtime settings the shipped unit sets, as bench/run.sh does.
        for shipped in $(sed -n 's/^Environment=\(DOTNET_GC[A-Za-z0-9_]*=.*\)$/\1/p' "$ROOT/samples/systemd/stratum-proxy.service"); do
            env_args+=("$shipped")
        done
        [[ $MODE == perf ]] && env_args+=(DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0)
        read -r -a extra <<<"$EXTRA_ENV"
        env_args+=("${extra[@]}")
        (cd "$ROOT" && exec env "${env_args[@]}" dotnet "$DLL" --config "$OUT/ours.json") > "$OUT/proxy.out" 2>&1 &
        PROXY=$!; PIDS+=("$PROXY"); MEASURED=$PROXY ;;
    nginx)
        # bench/run.sh's plain server, with two workers as there.
        cat > "$OUT/nginx.conf" <<EOF
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
worker_processes 2;
pid $OUT/nginx.pid;
error_log $OUT/nginx-error.log warn;
events { worker_connections 20000; }
stream {
    upstream backend { least_conn; server 127.0.0.1:$BACKEND_PORT; }
    server { listen 127.0.0.1:$PLAIN_PORT; proxy_pass backend; proxy_timeout 10m; }
}
EOF
        nginx -p "$OUT" -c "$OUT/nginx.conf" -g 'daemon off;' > "$OUT/proxy.out" 2>&1 &
        PROXY=$!; PIDS+=("$PROXY") ;;
    haproxy)
        cat > "$OUT/haproxy.cfg" <<EOF
global
    nbthread 2
defaults
    mode tcp
    timeout connect 5s
    timeout client 10m
    timeout server 10m
frontend stratum
    bind 127.0.0.1:$PLAIN_PORT
    default_backend pool
backend pool
    balance leastconn
    server backend 127.0.0.1:$BACKEND_PORT
EOF
        haproxy -db -f "$OUT/haproxy.cfg" > "$OUT/proxy.out" 2>&1 &
        PROXY=$!; PIDS+=("$PROXY"); MEASURED=$PROXY ;;
esac
wait_port "$PLAIN_PORT" 60 || { echo "$TARGET did not start, see $OUT/proxy.out" >&2; exit 1; }
if [[ $TARGET == nginx ]]; then
    # The master and its workers, as bench/run.sh counts them.
    for _ in $(seq 1 50); do [[ $(pgrep -P "$PROXY" | wc -l) -ge 2 ]] && break; sleep 0.1; done
    MEASURED=$(printf '%s\n' "$PROXY" $(pgrep -P "$PROXY") | paste -sd,)
fi
if [[ $MODE == idle ]]; then
    base=$(awk '/^VmRSS:/ {print $2}' "/proc/$PROXY/status")
    "$BUILD/loadgen" idle --port "$PLAIN_PORT" --conns "$CONNS" --hold 120 --timeout 200 > "$OUT/loadgen.out" 2>&1 &
    LG=$!; PIDS+=("$LG")
    for _ in $(seq 1 1200); do grep -q '^STAGE' "$OUT/loadgen.out" && break; sleep 0.1; done
    sleep 0.5
    burst=$(awk '/^VmRSS:/ {print $2}' "/proc/$PROXY/status")
    # As bench/run.sh reads it: once the miners have been idle for 3 s (the proxy trims its heap after a burst).
    sleep 2.5
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$PROXY/status")
    cat "$OUT/loadgen.out"
    echo "RSS $base -> $burst KiB right after the set-up: $(awk -v a="$burst" -v b="$base" -v n="$CONNS" 'BEGIN {printf "%.2f", (a-b)/n}') KiB per miner"
    echo "RSS $base -> $rss KiB after 3 s idle: $(awk -v a="$rss" -v b="$base" -v n="$CONNS" 'BEGIN {printf "%.2f", (a-b)/n}') KiB per miner"
    timeout 120 "$TOOL_PATH" collect -p "$PROXY" -o "$OUT/idle.gcdump" > "$OUT/gcdump.log" 2>&1
    # Taking the dump runs a full blocking collection: RSS after it shows how much was collectable garbage.
    sleep 1
    after=$(awk '/^VmRSS:/ {print $2}' "/proc/$PROXY/status")
    echo "RSS after the dump's full collection: $after KiB: $(awk -v a="$after" -v b="$base" -v n="$CONNS" 'BEGIN {printf "%.2f", (a-b)/n}') KiB per miner"
    timeout 60 "$TOOL_PATH" report "$OUT/idle.gcdump" > "$OUT/gcdump-report.txt" 2>&1
    echo "heap by type (top 40): $OUT/gcdump-report.txt"
    head -45 "$OUT/gcdump-report.txt"
    exit 0
fi

# The measured load for SECONDS_TO_RUN (+ $1) seconds, with --pids for the proxy's CPU; prints the loadgen's lines.
run_load() { # extra-seconds
    local seconds=$((SECONDS_TO_RUN + $1))
    if [[ $LOAD == fanout ]]; then
        timeout $((seconds + 40)) "$BUILD/loadgen" fanout --port "$PLAIN_PORT" --control-port "$CONTROL_PORT" \
            --conns "$CONNS" --rounds $((seconds * 1000 / INTERVAL_MS)) --interval-ms "$INTERVAL_MS" --pids "$MEASURED" --timeout $((seconds + 30))
    else
        timeout $((seconds + 20)) "$BUILD/loadgen" submit --port "$PLAIN_PORT" --conns "$CONNS" --warmup 0 \
            --duration "$seconds" --pids "$MEASURED" --timeout $((seconds + 15))
    fi
}
# What the figures are divided by: round trips, or notifies delivered.
units() { grep -o "${1}=[0-9]*" "$OUT/loadgen.out" | cut -d= -f2; }
UNIT_KEY=requests; UNIT_NAME="round trip"
[[ $LOAD == fanout ]] && { UNIT_KEY=delivered; UNIT_NAME="notify delivered"; }

# Past the JIT first: tiered compilation and PGO re-JIT take the first seconds under load (the notify path too).
for i in 1 2 3 4 5; do "$BUILD/loadgen" submit --port "$PLAIN_PORT" --conns 50 --warmup 0 --duration 2 --timeout 20 > /dev/null 2>&1 || true; done
if [[ $LOAD == fanout ]]; then
    "$BUILD/loadgen" fanout --port "$PLAIN_PORT" --control-port "$CONTROL_PORT" --conns "$CONNS" --rounds 30 \
        --interval-ms 100 --timeout 60 > /dev/null 2>&1 || true
fi

if [[ $MODE == split ]]; then
    # /proc/PID/stat fields 14 and 15: user and system time of all threads, in clock ticks.
    cpu_ticks() { local pid; for pid in ${MEASURED//,/ }; do cat "/proc/$pid/stat"; done | awk '{u += $14; s += $15} END {print u, s}'; }
    if [[ $LOAD == fanout ]]; then
        # The miners connect first: their set-up is not what is measured. The loadgen's own figure covers the rounds.
        run_load 0 > "$OUT/loadgen.out" &
        LG=$!; PIDS+=("$LG")
        # Which threads switch: each thread's counts over a window inside the rounds (past the miners' set-up).
        thread_switches() { local pid t; for pid in ${MEASURED//,/ }; do for t in /proc/"$pid"/task/*; do
            printf '%s:%s %s\n' "${t##*/}" "$(tr ' ' _ < "$t/comm")" "$(awk '/^voluntary_ctxt/ {v = $2} /^nonvoluntary_ctxt/ {n = $2} END {print v, n}' "$t/status")"
        done; done 2> /dev/null | sort; }
        window=$((SECONDS_TO_RUN > 6 ? SECONDS_TO_RUN - 5 : 1))
        sleep 3; thread_switches > "$OUT/switches-0"; sleep "$window"; thread_switches > "$OUT/switches-1"
        wait "$LG" || true
        cat "$OUT/loadgen.out"
        echo "thread switches per second inside the rounds ($window s), by thread (voluntary, involuntary):"
        join "$OUT/switches-0" "$OUT/switches-1" | awk -v w="$window" '{v = ($4 - $2) / w; n = ($5 - $3) / w; if (v + n >= 1) printf "  %-32s %8.0f %8.0f\n", $1, v, n}' | sort -k2,2nr | head -12
        line=$(grep '^RESULT' "$OUT/loadgen.out")
        u=$(tr ' ' '\n' <<<"$line" | sed -n 's/^proxy_user_us=//p'); s=$(tr ' ' '\n' <<<"$line" | sed -n 's/^proxy_sys_us=//p')
        awk -v u="$u" -v s="$s" 'BEGIN {printf "per notify delivered (over the rounds): user %.2f us, system %.2f us; user/system %.3f\n", u, s, u / s}'
        # How often the proxy's threads went to sleep and were woken (voluntary) or were preempted or yielded
        # (involuntary), summed over its threads by the load generator over the same rounds.
        v=$(tr ' ' '\n' <<<"$line" | sed -n 's/^proxy_switches_voluntary=//p'); i=$(tr ' ' '\n' <<<"$line" | sed -n 's/^proxy_switches_involuntary=//p')
        echo "thread switches per notify delivered: voluntary $v, involuntary $i"
        exit 0
    fi
    read -r user0 system0 < <(cpu_ticks)
    run_load 0 > "$OUT/loadgen.out"
    read -r user1 system1 < <(cpu_ticks)
    cat "$OUT/loadgen.out"
    awk -v u=$((user1 - user0)) -v s=$((system1 - system0)) -v r="$(units "$UNIT_KEY")" -v hz="$(getconf CLK_TCK)" -v n="$UNIT_NAME" \
        'BEGIN {printf "per %s: user %.2f us, system %.2f us; user/system %.3f\n", n, u * 1e6 / hz / r, s * 1e6 / hz / r, u / s}'
    exit 0
fi

if [[ $MODE == perf ]]; then
    run_load 2 > "$OUT/loadgen.out" &
    LG=$!; PIDS+=("$LG")
    # The fan-out's miners take a moment to connect; sample the rounds, not the set-up.
    if [[ $LOAD == fanout ]]; then sleep 3; else sleep 1; fi
    perf record -F 999 -g -p "$MEASURED" -o "$OUT/$LOAD.perf" -- sleep "$SECONDS_TO_RUN" > "$OUT/perf.log" 2>&1
    wait "$LG" || true
    cat "$OUT/loadgen.out"
    perf report -i "$OUT/$LOAD.perf" --no-children --sort dso,sym -g none --percent-limit 0.7 2>/dev/null \
        | grep -v '^#' | grep -v '^$' | tee "$OUT/perf-report.txt" | head -60
    # Each sample once, by what its stack was doing: the kernel's socket calls dominate a relay, and the same split
    # of nginx's or HAProxy's samples (--target) shows whether a difference is ours or the kernel's.
    perf script -i "$OUT/$LOAD.perf" -F ip,sym 2>/dev/null | awk '
        function tally(stack, leaf) {
            n++
            if (leaf !~ /^[ \t]*ffffffff/) { user++; return }
            if (stack ~ /tcp_recvmsg/) { recv++; if (stack ~ /__tcp_transmit_skb/) ack++; return }
            if (stack ~ /tcp_sendmsg/) { send++; if (stack ~ /tcp_v4_rcv/) delivery++; return }
            if (stack ~ /do_epoll_wait/) { wait++; return }
            if (stack ~ /(^|\n)schedule\n/) { switched++; return }
            other++
        }
        function pct(x) { return sprintf("%5.1f %%", n ? 100 * x / n : 0) }
        /^$/ { if (stack != "") tally(stack, leaf); stack = ""; leaf = ""; next }
        { if (leaf == "") leaf = $0; stack = stack $2 "\n" }
        END {
            if (stack != "") tally(stack, leaf)
            print "where the samples were (" n "):"
            print "  user space                                    " pct(user)
            print "  recv                                          " pct(recv)
            print "    of which the ACK it sends back              " pct(ack)
            print "  send                                          " pct(send)
            print "    of which the delivery into the peer socket  " pct(delivery)
            print "  epoll_wait (and sleeping in it)               " pct(wait)
            print "  switched out elsewhere (preempted, yielding)  " pct(switched)
            print "  other kernel work                             " pct(other)
        }' | tee "$OUT/perf-split.txt"
    echo "full report: perf report -i $OUT/$LOAD.perf"
    exit 0
fi

timeout $((SECONDS_TO_RUN + 30)) "$COUNTERS" collect -p "$PROXY" --format csv -o "$OUT/counters.csv" \
    --refresh-interval 1 --counters System.Runtime --duration "00:00:$(printf '%02d' $((SECONDS_TO_RUN + 2)))" > "$OUT/counters.log" 2>&1 &
COLLECT=$!; PIDS+=("$COLLECT")
sleep 1
run_load 0 | tee "$OUT/loadgen.out"
wait "$COLLECT" || true
REQUESTS=$(units "$UNIT_KEY")
echo "counters: $OUT/counters.csv; per $UNIT_NAME (rates summed over the busy seconds ÷ $UNIT_NAME count):"
# The window holds the miners' set-up too (about 2.5 KiB allocated per miner), divided over the notifies.
[[ $LOAD == fanout ]] && echo "  (fan-out: the window includes the set-up of the $CONNS miners; allocations per notify are an upper bound)"
# Rate counters report per-interval deltas; sum them over the run and divide by the units in the window.
awk -F, -v req="${REQUESTS:-0}" 'NR > 1 && ($5 == "Rate" || $4 ~ /Rate/) { sum[$3] += $NF } END {
    for (k in sum) if (k ~ /alloc|gc.collections|work_item|lock.contentions|exception/) printf "  %-60s %.3f\n", k, (req > 0 ? sum[k] / req : 0) }' "$OUT/counters.csv" | sort
