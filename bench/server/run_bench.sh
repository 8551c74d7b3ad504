#!/bin/sh
# Benchmarks `tagmetry serve` on a synthetic dataset of N images (default 100,000; issue #8 targets: first
# screen < 1 s with thumbnails cached, server memory < 500 MB, list/filter API < 50 ms).
#   bench/server/run_bench.sh [BUILD_DIR] [N]
# 1. BUILD/bench/server/server_bench: startup, HTTP first screen, API latency, memory (in-process).
# 2. bench/server/first_screen.mjs: the first screen in Chromium, and the server process's memory after it.
set -eu
BUILD=${1:-build}
N=${2:-100000}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DATA=${TAGMETRY_BENCH_DIR:-/tmp/tagmetry-stats-bench-v2-$N}
WEB="$BUILD/share/tagmetry/web"
if [ ! -f "$DATA/img$(printf %06d $((N - 2))).txt" ]; then
  echo "building $N-image dataset in $DATA"
  python3 "$ROOT/bench/stats/make_dataset.py" "$DATA" "$N"
fi
"$BUILD/bench/server/server_bench" "$DATA" --web-root "$WEB"
echo
LOG=$(mktemp)
"$BUILD/bin/tagmetry" serve "$DATA" --port 0 --web-root "$WEB" >"$LOG" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; rm -f "$LOG"' EXIT
for _ in $(seq 1 300); do grep -q "Serving" "$LOG" && break; sleep 0.1; done
URL=$(grep -o 'http://[^ ]*' "$LOG" | head -1)
echo "$(head -1 "$LOG")"
node "$ROOT/bench/server/first_screen.mjs" "$URL" 5
echo "server process memory after the browser runs: $(awk '/VmRSS/ {printf "%.0f MB", $2/1024}' /proc/$PID/status) (peak $(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' /proc/$PID/status))"
