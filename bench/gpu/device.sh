#!/usr/bin/env bash
# On the GPU machine, from the repository root, after .gpu/c1..c4 and .gpu/run arrived (bench/gpu/README.md):
# reassembles and checks the parts, unpacks ORT's GPU libraries and the bundle, runs bench/gpu/run.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
g=.gpu
parts=($g/c1/gpu.tgz.part00 $g/c2/gpu.tgz.part01 $g/c3/gpu.tgz.part02 $g/c4/gpu.tgz.part03 $g/c5/gpu.tgz.part04)
for f in "${parts[@]}" $g/c1/libonnxruntime.so.gz $g/c2/data.tar.gz $g/run/bundle.tar.gz $g/run/SHA256SUMS; do
  [[ -f "$f" ]] || { echo "device.sh: $f has not arrived" >&2; exit 2; }
done
cat "${parts[@]}" >$g/gpu.tgz
(cd $g && sha256sum -c run/SHA256SUMS) || { echo "device.sh: checksum mismatch" >&2; exit 2; }
rm -rf $g/ort $g/pkg $g/b $g/data
mkdir -p $g/ort $g/pkg
tar -xzf $g/gpu.tgz -C $g/pkg
cp $g/pkg/package/Plugins/Linux/x64/*.so $g/ort/
gunzip -c $g/c1/libonnxruntime.so.gz >$g/ort/libonnxruntime.so.1
ln -sf libonnxruntime.so.1 $g/ort/libonnxruntime.so
tar -xzf $g/run/bundle.tar.gz -C $g
tar -xzf $g/c2/data.tar.gz -C $g
ls -l $g/ort
export ORT_DIR="$PWD/$g/ort" BIN="$PWD/$g/b/tagmetry" BENCH="$PWD/$g/b/tagger_bench" DATA="$PWD/$g/data"
export LD_LIBRARY_PATH="$PWD/$g/ort:$PWD/$g/b/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
exec bench/gpu/run.sh
