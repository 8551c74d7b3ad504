#!/bin/sh
# fp32 vs int8 on the benchmark models (bench/models): quantize both formats, time them interleaved on
# 2 threads, and measure agreement on 8 synthetic images; then the matrix products alone. ~3 minutes per
# model on an idle 2-core machine.
#   bench/quantize/run_bench.sh BUILD_DIR [MODELS_DIR] [RESULTS_FILE]
# BUILD_DIR must hold bin/tagmetry and bench/quantize/quantize_bench (cmake --build BUILD_DIR --target
# tagmetry_cli quantize_bench). MODELS_DIR defaults to /tmp/tagmetry-bench-models (generated when missing).
set -eu
build=${1:?usage: run_bench.sh BUILD_DIR [MODELS_DIR] [RESULTS_FILE]}
models=${2:-/tmp/tagmetry-bench-models}
results=${3:-$models/quantize-results.txt}
here=$(cd "$(dirname "$0")" && pwd)
runs=${RUNS:-3}
threads=${THREADS:-2}
: > "$results"
log() { echo "$@" | tee -a "$results"; }
for name in vit-b16-448 convnext-b-448; do
  dir=$models/$name
  [ -f "$dir/model.onnx" ] || /usr/bin/python3 "$here/../models/make_bench_models.py" "$models" --only "$name"
  log "== $name ($(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg))"
  "$build/bin/tagmetry" quantize "$dir/model.onnx" "$dir/model.int8.onnx" --overwrite --no-check | head -1 | tee -a "$results"
  "$build/bin/tagmetry" quantize "$dir/model.onnx" "$dir/model.int8-onnxops.onnx" --format onnx --overwrite \
    --no-check | head -1 | tee -a "$results"
  "$build/bench/quantize/quantize_bench" --threads "$threads" --runs "$runs" "$dir/model.onnx" \
    "$dir/model.int8.onnx" "$dir/model.int8-onnxops.onnx" | tee -a "$results"
  "$build/bin/tagmetry" compare "$dir/model.onnx" "$dir/model.int8.onnx" --threads "$threads" | tee -a "$results"
done
# The matrix products alone: how much ORT's int8 GEMM gains on this processor.
/usr/bin/python3 "$here/make_gemm_only_model.py" "$models/gemm-only"
"$build/bin/tagmetry" quantize "$models/gemm-only/model.onnx" "$models/gemm-only/model.int8.onnx" --overwrite --no-check \
  | head -1 | tee -a "$results"
log "== gemm-only"
"$build/bench/quantize/quantize_bench" --threads "$threads" --runs "$runs" "$models/gemm-only/model.onnx" \
  "$models/gemm-only/model.int8.onnx" | tee -a "$results"
echo "results in $results"
