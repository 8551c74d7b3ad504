#!/bin/sh
# `tagmetry buckets` on 100,000 image headers (docs/benchmarks.md). Target: <= 3 s on 2 cores.
# usage: bench/buckets/run_bench.sh [BUILD_DIR] [N]
set -eu
BUILD=${1:-build}
N=${2:-100000}
DIR=${TMPDIR:-/tmp}/tagmetry-bench-buckets-$N
here=$(dirname "$0")
[ -d "$DIR" ] || /usr/bin/python3 "$here/make_headers.py" "$DIR" "$N"
echo "files: $(ls "$DIR" | wc -l)"
# The first run reads the files from disk (when they are not cached), the second from the page cache.
for run in 1 2; do
  start=$(date +%s.%N)
  taskset -c 0,1 "$BUILD/bin/tagmetry" buckets "$DIR" --json > "$DIR.json" 2>/dev/null || true
  end=$(date +%s.%N)
  echo "run $run: $(echo "$end - $start" | bc) s"
done
/usr/bin/python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print(len(j['images']), 'images,', len(j['buckets']), 'buckets, skipped', len(j['skipped']))" "$DIR.json"
