#!/usr/bin/env bash
# `make bench`: runs the benchmarks that compare Tagmetry with a baseline side by side. Each prints its
# figures; docs/benchmarks.md holds the latest ones with the machine they were measured on.
#   scripts/bench.sh [BUILD_DIR] [NAME…]     NAME: tagger prepare retag stats quantize ja tokens (default: all)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-build}"; shift || true
[[ "$build" = /* ]] || build="$root/$build"
names=("$@"); [ ${#names[@]} -gt 0 ] || names=(tagger prepare retag stats quantize ja tokens)
for name in "${names[@]}"; do
  echo "=== $name"
  case "$name" in
    tagger) "$root/bench/tagger/run_bench.sh" "$build" ;;
    prepare) "$root/bench/prepare/run_bench.sh" "$build/bin/tagmetry" 40 2 ;;
    retag) "$build/bench/retag/retag_bench" ;;
    stats) sh "$root/bench/stats/run_bench.sh" "$build" 100000 ;;
    quantize) "$root/bench/quantize/run_bench.sh" "$build" "${TMPDIR:-/tmp}/tagmetry-bench/models" ;;
    ja) "$build/bench/ja/ja_bench" ;;
    tokens) "$build/bench/kohya/tokenizer_bench" ;;
    *) echo "unknown benchmark $name" >&2; exit 2 ;;
  esac
done
