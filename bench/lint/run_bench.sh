#!/bin/sh
# Times `tagmetry lint` with its full decode of every image on N JPEGs of about 1 MP (default 10,000),
# pinned to 2 cores: a first run (no decode cache: every image decoded) and then ROUNDS runs with
# nothing changed (answered from DATASET/.tagmetry/decode-check.tsv). Targets (issue 19): first run
# <= 30 s, a second run <= 1 s. The images are generated (bench/lint/make_images.py, ~2 GB), not kept
# in git.
#   bench/lint/run_bench.sh [BUILD_DIR] [N]
# On a shared machine the wall time includes waiting for the cores: the load average is printed, and
# the CPU time (user + sys) of each run is what 2 free cores would need (about half of it in wall time).
set -eu
BUILD=${1:-build}
N=${2:-10000}
ROUNDS=${ROUNDS:-3}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DATA=${TAGMETRY_BENCH_DIR:-/tmp/tagmetry-lint-bench-$N}
BIN="$BUILD/bin/tagmetry"
CORES=${CORES:-0,1}
if [ ! -f "$DATA/img$(printf %05d $((N - 1))).txt" ]; then
  echo "building $N-image dataset in $DATA"
  "${PYTHON:-/usr/bin/python3}" "$ROOT/bench/lint/make_images.py" "$DATA" "$N"  # Debian's, with python3-pil
fi
ARGS="--trigger zkw --no-tags-db --resolution 0 --json"
# Warm the page cache (the figure is for a dataset already on disk, as after prepare).
cat "$DATA"/*.jpg >/dev/null
rm -rf "$DATA/.tagmetry"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
# shellcheck disable=SC2086
/usr/bin/time -f "first run (decode all): %e s wall, %U s user + %S s sys" taskset -c "$CORES" "$BIN" lint "$DATA" $ARGS >/dev/null || true
i=0
while [ "$i" -lt "$ROUNDS" ]; do
  # shellcheck disable=SC2086
  /usr/bin/time -f "unchanged run: %e s wall, %U s user + %S s sys" taskset -c "$CORES" "$BIN" lint "$DATA" $ARGS >/dev/null || true
  i=$((i + 1))
done
touch "$DATA/img00000.jpg"
# shellcheck disable=SC2086
/usr/bin/time -f "one file touched: %e s wall, %U s user + %S s sys" taskset -c "$CORES" "$BIN" lint "$DATA" $ARGS >/dev/null || true
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
