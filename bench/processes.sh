# Sourced by bench/profile.sh and bench/compare-builds.sh: the processes a script started (PIDS) are stopped when it
# exits. A proxy drains its sessions on SIGTERM, and the next run needs its ports: 5 s to exit, then SIGKILL.
PIDS=()
stop_all() {
    local p deadline=$((SECONDS + 5))
    for p in "${PIDS[@]:-}"; do [[ -n "$p" ]] && kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]:-}"; do
        while [[ -n "$p" ]] && kill -0 "$p" 2>/dev/null && (( SECONDS < deadline )); do sleep 0.1; done
        [[ -n "$p" ]] && kill -9 "$p" 2>/dev/null || true
    done
    return 0
}
trap stop_all EXIT
