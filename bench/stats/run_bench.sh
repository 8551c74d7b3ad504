#!/bin/sh
# Times `tagmetry stats`, `tagmetry lint` and the one-pass `tagmetry stats --lint` on a synthetic
# dataset of N caption files (default 100,000) pinned to 2 cores. The target (issue 6): stats + lint
# under 3 s.
#   bench/stats/run_bench.sh [BUILD_DIR] [N]
#   ROUNDS=5 BASE=/path/to/older/tagmetry bench/stats/run_bench.sh build   # interleaved with a baseline
# Each command runs ROUNDS times (default 3; with BASE, alternating with the baseline binary); the
# fastest wall time is reported with the CPU time (user + sys) of that run. On a shared machine the
# wall time includes waiting for the cores: note the load average printed first.
# Phase breakdown (scan, corpus, figures, lint): BUILD_DIR/bench/stats/stats_phase_bench DIR.
set -eu
BUILD=${1:-build}
N=${2:-100000}
ROUNDS=${ROUNDS:-3}
BASE=${BASE:-}
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
LINT="--trigger zkw --resolution 8"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
# Warm the page cache once (the figure is for a dataset already on disk, as after tagging).
taskset -c "$CORES" "$BIN" stats "$DATA" --json >/dev/null
run() {  # LABEL BINARY ARGS...
  label=$1
  shift
  /usr/bin/time -a -o "$TIMES" -f "$label %e %U %S" taskset -c "$CORES" "$@" >/dev/null || true
}
i=0
while [ "$i" -lt "$ROUNDS" ]; do
  for who in new ${BASE:+base}; do
    b=$BIN
    [ "$who" = base ] && b=$BASE
    run "$who:stats" "$b" stats "$DATA" --json
    # shellcheck disable=SC2086
    run "$who:lint" "$b" lint "$DATA" $LINT --json
    # shellcheck disable=SC2086
    [ "$who" = new ] && run "$who:stats--lint" "$b" stats "$DATA" --lint $LINT --json
  done
  i=$((i + 1))
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$TIMES" "$N" "$ROUNDS" <<'PY'
import sys
best = {}
for line in open(sys.argv[1]):
    parts = line.split()
    if len(parts) != 4 or ":" not in parts[0]:
        continue
    w, u, s = map(float, parts[1:])
    if parts[0] not in best or w < best[parts[0]][0]:
        best[parts[0]] = (w, u + s, u, s)
n, rounds = int(sys.argv[2]), sys.argv[3]
print(f"{n:,} captions, fastest of {rounds} rounds, 2 cores:")
for who in ("base", "new"):
    rows = [(c, best[f"{who}:{c}"]) for c in ("stats", "lint", "stats--lint") if f"{who}:{c}" in best]
    if not rows:
        continue
    for c, (w, cpu, u, s) in rows:
        print(f"  {who:4} {c:12} wall {w:5.2f} s  cpu {cpu:5.2f} s (user {u:.2f}, sys {s:.2f})")
    if len(rows) >= 2:
        w = rows[0][1][0] + rows[1][1][0]
        print(f"  {who:4} stats + lint (two commands): wall {w:.2f} s (target < 3 s)")
PY
