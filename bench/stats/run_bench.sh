#!/bin/sh
# Times `tagmetry stats` and `tagmetry lint` on a synthetic dataset of N caption files (default 100,000)
# pinned to 2 cores. The target (issue 6): stats + lint together under 3 s.
#   bench/stats/run_bench.sh [BUILD_DIR] [N]
# Prints wall time and CPU time (user + sys) per command. On a shared machine the wall time includes
# waiting for the cores; CPU / 2 is what the two commands take on 2 idle cores (both read with 2 threads).
# Phase breakdown (scan, corpus, figures, lint): BUILD_DIR/bench/stats/stats_phase_bench DIR.
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
TIMES=$(mktemp)
trap 'rm -f "$TIMES"' EXIT
# Warm the page cache once (the figure is for a dataset already on disk, as after tagging).
taskset -c "$CORES" "$BIN" stats "$DATA" --json >/dev/null
/usr/bin/time -a -o "$TIMES" -f "stats %e %U %S" taskset -c "$CORES" "$BIN" stats "$DATA" --json >/dev/null
/usr/bin/time -a -o "$TIMES" -f "lint %e %U %S" taskset -c "$CORES" "$BIN" lint "$DATA" --trigger zkw --resolution 8 --json >/dev/null || true
python3 - "$TIMES" "$N" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    parts = line.split()
    if len(parts) == 4 and parts[0] in ("stats", "lint"):
        rows[parts[0]] = tuple(map(float, parts[1:]))
n = int(sys.argv[2])
wall = cpu = 0.0
for name in ("stats", "lint"):
    w, u, s = rows[name]
    wall += w
    cpu += u + s
    print(f"{name:5}  wall {w:5.2f} s  cpu {u + s:5.2f} s (user {u:.2f}, sys {s:.2f})")
print(f"stats + lint: wall {wall:.2f} s, cpu {cpu:.2f} s -> {cpu / 2:.2f} s on 2 idle cores "
      f"for {n:,} captions (target < 3 s)")
PY
