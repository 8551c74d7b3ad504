#!/usr/bin/env bash
# Packs what bench/gpu/run.sh needs on a GPU machine into parts of at most ~55 MB each (a device tool that
# moves ~55 MB per call), under OUT (default .gpu, ignored by git):
#   OUT/c1..c5/gpu.tgz.partNN   the npm tarball of com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9 (179 MB:
#                               libonnxruntime_providers_cuda.so & co.) in 5 pieces (split -n 5: with 4, the
#                               core and the data push two folders over 55 MB)
#   OUT/c1/libonnxruntime.so.gz the ORT 1.29 core the GPU build links (libonnxruntime.so.1)
#   OUT/c2/data.tar.gz          bench/gpu/data without the regenerated weights (model skeleton, 12 JPEGs)
#   OUT/run/bundle.tar.gz       b/tagmetry, b/tagger_bench, b/lib/ (their shared libraries except glibc's and ORT's)
#   OUT/run/SHA256SUMS          of gpu.tgz (whole) and the other three files
# Usage: bench/gpu/bundle.sh [BUILD_DIR (build-gpu)] [OUT (.gpu)]. BUILD_DIR must be configured with
# -DTAGMETRY_GPU=ON (a binary linked against the default 1.30 CPU library does not start with the 1.29 one).
# See bench/gpu/README.md for the device commands that reassemble and run it.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$root/build-gpu}"
out="${2:-$root/.gpu}"
limit=$((55 * 1000 * 1000))
pkg="com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9"

for b in tagmetry tagger_bench; do
  [[ -x "$build/bin/$b" ]] || { echo "bundle.sh: $build/bin/$b is missing (cmake --build $build --target tagmetry_cli tagger_bench)" >&2; exit 2; }
done
core="$build/onnxruntime/lib/libonnxruntime.so.1"
[[ -f "$core" ]] || { echo "bundle.sh: $core is missing: configure $build with -DTAGMETRY_GPU=ON" >&2; exit 2; }
[[ -f "$root/bench/gpu/data/vit-b16-448/model.onnx" ]] || { echo "bundle.sh: run bench/gpu/prepare.sh first" >&2; exit 2; }

rm -rf "$out"
mkdir -p "$out"/{c1,c2,c3,c4,c5,run}
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# 1. The provider package, from npm's cache when it is there (no network needed then).
(cd "$tmp" && npm pack --silent --prefer-offline "$pkg" >/dev/null)
tgz="$(ls "$tmp"/*.tgz)"
(cd "$tmp" && split -n 5 -d "$tgz" gpu.tgz.part)
for i in 0 1 2 3 4; do mv "$tmp/gpu.tgz.part0$i" "$out/c$((i + 1))/"; done

# 2. The ORT core.
gzip -9 -c "$core" >"$out/c1/libonnxruntime.so.gz"

# 3. The data (the weights are regenerated there by fill_weights.py).
(cd "$root/bench/gpu" && tar -czf "$out/c2/data.tar.gz" --exclude weights.bin --exclude 'model.*.onnx' \
  --exclude '*.partial' data)

# 4. The binaries and their libraries (not glibc's, not ORT's: those come from the machine and from 2.).
mkdir -p "$tmp/b/lib"
cp "$build/bin/tagmetry" "$build/bin/tagger_bench" "$tmp/b/"
for b in tagmetry tagger_bench; do
  ldd "$build/bin/$b" | awk '$2 == "=>" && $3 ~ /^\// {print $3}'
done | sort -u | grep -v -E '/(libc|libm|libpthread|libdl|librt|libresolv|libutil|ld-linux[^/]*)\.so|libonnxruntime' |
  while read -r l; do cp -L "$l" "$tmp/b/lib/"; done
tar -C "$tmp" -cf - b | gzip -6 >"$out/run/bundle.tar.gz"

(cd "$tmp" && sha256sum "$(basename "$tgz")" | sed "s|  .*|  gpu.tgz|") >"$out/run/SHA256SUMS"
(cd "$out" && sha256sum c1/libonnxruntime.so.gz c2/data.tar.gz run/bundle.tar.gz) >>"$out/run/SHA256SUMS"

status=0
for d in "$out"/c1 "$out"/c2 "$out"/c3 "$out"/c4 "$out"/c5 "$out"/run; do
  size=$(du -cb "$d" | tail -1 | cut -f1)
  printf '%-8s %6.1f MB\n' "$(basename "$d")" "$(echo "$size / 1000000" | bc -l)"
  ((size <= limit)) || { echo "bundle.sh: $d is over 55 MB" >&2; status=1; }
done
cat "$out/run/SHA256SUMS"
exit $status
