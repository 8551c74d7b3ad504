#!/bin/sh
# Times `tagmetry stats` and `tagmetry lint` on a synthetic dataset of N caption files (default 100,000)
# pinned to 2 cores. The target (issue 6): stats + lint together under 3 s.
#   bench/stats/run_bench.sh [BUILD_DIR] [N]
set -eu
BUILD=${1:-build}
N=${2:-100000}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DATA=${TAGMETRY_BENCH_DIR:-/tmp/tagmetry-stats-bench-v2-$N}  # v2: unique images
BIN="$BUILD/bin/tagmetry"
if [ ! -f "$DATA/img$(printf %06d $((N - 2))).txt" ]; then
  echo "building $N-image dataset in $DATA"
  python3 "$ROOT/bench/stats/make_dataset.py" "$DATA" "$N"
fi
CORES=${CORES:-0,1}
# Warm the page cache once (the figure is for a dataset already on disk, as after tagging).
taskset -c "$CORES" "$BIN" stats "$DATA" --json >/dev/null
t0=$(date +%s.%N)
taskset -c "$CORES" "$BIN" stats "$DATA" --json >/dev/null
t1=$(date +%s.%N)
taskset -c "$CORES" "$BIN" lint "$DATA" --trigger zkw --resolution 8 --json >/dev/null || true
t2=$(date +%s.%N)
python3 - "$t0" "$t1" "$t2" "$N" <<'PY'
import sys
t0, t1, t2, n = map(float, sys.argv[1:])
print(f"stats {t1 - t0:.2f} s, lint {t2 - t1:.2f} s, stats + lint {t2 - t0:.2f} s for {int(n):,} captions (target < 3 s)")
PY
