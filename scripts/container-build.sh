#!/usr/bin/env bash
# The builder stage of the Containerfile: installs the build dependencies with scripts/install-deps.sh
# (--no-test; --gpu for the cuda flavour), builds a Release into PREFIX (binary, ONNX Runtime and its
# provider libraries, data files, the web front end, the bundled demo model) and writes PREFIX.packages:
# the distribution packages of the shared libraries the installed files load (found with ldd + dpkg -S),
# which the final stage installs. Usage: scripts/container-build.sh cpu|cuda PREFIX
# Environment: JOBS (default: nproc); CCACHE_DIR (a mounted ccache folder: ccache is installed and used,
# with CCACHE_BASEDIR=the source folder so objects built elsewhere are reused).
set -euo pipefail
flavor=${1:?usage: container-build.sh cpu|cuda PREFIX}
prefix=${2:?usage: container-build.sh cpu|cuda PREFIX}
src="$(cd "$(dirname "$0")/.." && pwd)"
cd "$src"
export DEBIAN_FRONTEND=noninteractive

deps=(--no-test)
gpu=OFF
case "$flavor" in
  cpu) ;;
  cuda) deps+=(--gpu); gpu=ON ;;
  *) echo "container-build: unknown flavour '$flavor' (cpu or cuda)" >&2; exit 2 ;;
esac
# The build needs no sudo: install-deps.sh runs apt-get directly as root.
scripts/install-deps.sh "${deps[@]}"

cmake_args=()
if [[ -n "${CCACHE_DIR:-}" && -d "$CCACHE_DIR" && -w "$CCACHE_DIR" ]]; then
  command -v ccache >/dev/null || apt-get install -y -qq --no-install-recommends ccache
  export CCACHE_BASEDIR="$src" CCACHE_NOHASHDIR=1
  cmake_args+=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  ccache -z >/dev/null
fi
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" \
  -DTAGMETRY_BUILD_TESTS=OFF -DTAGMETRY_BUILD_BENCH=OFF -DTAGMETRY_GPU="$gpu" "${cmake_args[@]}"
cmake --build build -j "${JOBS:-$(nproc)}"
[[ ${#cmake_args[@]} -eq 0 ]] || ccache -s | grep -Ei 'hits|misses' || true
cmake --install build --strip
test ! -L "$prefix/lib/libonnxruntime.so.1" || { echo "container-build: lib/libonnxruntime.so.1 is a symlink" >&2; exit 1; }
# Only what runs: llama.cpp's own install rules (static libraries, headers, CMake and pkg-config files) go.
rm -rf "$prefix/include" "$prefix/lib/cmake" "$prefix/lib/pkgconfig" "$prefix"/lib/*.a
find "$prefix/bin" -mindepth 1 ! -name tagmetry -exec rm -rf {} +
test -f "$prefix/share/tagmetry/web/index.html" || { echo "container-build: the web front end was not built" >&2; exit 1; }
# ONNX Runtime loads its provider libraries from its own folder (docs/gpu.md).
for lib in build/onnxruntime/lib/libonnxruntime_providers_*.so; do
  [[ -e "$lib" ]] && cp -L "$lib" "$prefix/lib/"
done
# The demo of `make demo` (scripts/demo.sh): its five sample images and the bundled demo model, a tiny
# known-answer colour tagger (~100 KB together): `tagmetry tag /opt/tagmetry/share/tagmetry/demo/images
# --model-dir /opt/tagmetry/share/tagmetry/demo/wd` (docs/deploy.md).
demo="$prefix/share/tagmetry/demo"
/usr/bin/python3 scripts/demo_images.py "$demo/images"
tmp=$(mktemp -d)
/usr/bin/python3 tests/fixtures/make_known_answer_models.py "$tmp" >/dev/null
cp -r "$tmp/wd" "$demo/wd"
rm -rf "$tmp"

# The packages of the libraries the binary and our libraries load, except the ones we ship ourselves, and
# those of the CUDA provider (the cuda base image holds CUDA and cuDNN: docs/deploy.md).
shopt -s nullglob
{
  for f in "$prefix"/bin/* "$prefix"/lib/*.so*; do
    [[ "$f" == *providers_cuda* || "$f" == *providers_tensorrt* ]] && continue
    ldd "$f" | awk '/=> \//{print $3}'
  done
} | sort -u | while read -r lib; do
  [[ "$lib" == "$prefix"/* ]] && continue
  dpkg -S "*/$(basename "$lib")" 2>/dev/null | cut -d: -f1 | tr ',' '\n' | tr -d ' ' | grep -v -- '-dev$' || true
done | sort -u > "$prefix.packages"
# Data the libraries read at run time, not found by ldd: MeCab's dictionary (ja2tags), CA certificates (Hugging
# Face downloads), curl for the HEALTHCHECK.
printf '%s\n' mecab-ipadic-utf8 ca-certificates curl >> "$prefix.packages"
echo "container-build: runtime packages: $(tr '\n' ' ' < "$prefix.packages")"
du -sh "$prefix"
