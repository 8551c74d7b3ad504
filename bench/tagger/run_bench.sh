#!/usr/bin/env bash
# Tagging benchmark: decode+preprocess per thread, pure inference, the serial (kohya-style) baseline and
# `tagmetry tag` end to end, side by side on the same images and the same ONNX Runtime session.
#   bench/tagger/run_bench.sh [BUILD_DIR] [N_IMAGES] [BATCH_SIZES]
# Generates (once, not committed) the ViT-B/16@448 benchmark model (bench/models) and N photo-like
# 1-4 MP JPEGs under $TMPDIR/tagmetry-bench.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-$here/../../build}"
n="${2:-16}"
batches="${3:-1,2,4,8}"
py=/usr/bin/python3
work="${TMPDIR:-/tmp}/tagmetry-bench"
mkdir -p "$work"
if [ ! -f "$work/models/vit-b16-448/model.onnx" ]; then
  "$py" "$here/../models/make_bench_models.py" "$work/models" --only vit-b16-448
fi
if [ ! -f "$work/images-$n/.done" ]; then
  rm -rf "$work/images-$n"
  "$py" "$here/make_bench_images.py" "$work/images-$n" --count "$n"
  touch "$work/images-$n/.done"
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load: $(cut -d' ' -f1-3 /proc/loadavg)"
"$build/bin/tagger_bench" --model-dir "$work/models/vit-b16-448" --images "$work/images-$n" --batch-sizes "$batches" --rounds "${ROUNDS:-2}"
