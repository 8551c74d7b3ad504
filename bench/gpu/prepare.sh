#!/usr/bin/env bash
# Run HERE (the build machine) before bench/gpu/run.sh goes to a GPU machine: writes bench/gpu/data/ (not
# committed, ~12 MB): the ViT-B/16@448 benchmark model as a skeleton (graph + head biases, ~0.6 MB; its
# 378 MB of random weights are regenerated there by fill_weights.py with Python's standard library) and 12
# photo-like 1-4 MP JPEGs from which run.sh makes ~1,024 distinct files. Needs /usr/bin/python3 with onnx,
# numpy and PIL (Debian's python3-onnx python3-numpy python3-pil).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
data="$here/data"
py=/usr/bin/python3
mkdir -p "$data"
if [[ ! -f "$data/vit-b16-448/weights.txt" ]]; then
  "$py" "$here/../models/make_bench_models.py" "$data" --only vit-b16-448 --skeleton
fi
if [[ ! -f "$data/images/.done" ]]; then
  rm -rf "$data/images"
  "$py" "$here/../tagger/make_bench_images.py" "$data/images" --count 12
  touch "$data/images/.done"
fi
du -sh "$data"
echo "carry: bench/gpu/data build/bin/tagmetry and the ONNX Runtime GPU libraries (build/onnxruntime/lib, dereferenced)"
