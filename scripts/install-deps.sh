#!/usr/bin/env bash
# Installs what Tagmetry needs to build and test on Debian 12 (apt packages and the pinned ONNX Runtime
# from the npm registry). Idempotent: installs only what is missing. Usage: scripts/install-deps.sh [--gpu] [--no-test]
#   --gpu  also the pinned GPU build of ONNX Runtime (third_party/onnxruntime-gpu: ORT 1.29 with its CUDA 13
#          provider libraries); then configure with -DTAGMETRY_GPU=ON (or `make GPU=1`). See docs/gpu.md.
#   --no-test  only what a Release build needs, without the test and benchmark tools (Chromium, GoogleTest,
#          Google Benchmark); configure with -DTAGMETRY_BUILD_TESTS=OFF -DTAGMETRY_BUILD_BENCH=OFF (the Containerfile)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
gpu=0
test_tools=1
for arg in "$@"; do
  case "$arg" in
    --gpu) gpu=1 ;;
    --no-test) test_tools=0 ;;
    *) echo "usage: scripts/install-deps.sh [--gpu] [--no-test]" >&2; exit 2 ;;
  esac
done

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libvips-dev libsqlite3-dev libcpp-httplib-dev nlohmann-json3-dev libtoml11-dev libcli11-dev libfmt-dev
  zlib1g-dev libcurl4-openssl-dev libmecab-dev mecab-ipadic-utf8 libicu-dev libarchive-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libonnx-dev libprotobuf-dev protobuf-compiler libdeflate-dev
  chromium
  python3 python3-onnx python3-numpy python3-pil
  nodejs npm
)

test_only=(chromium libgtest-dev libgmock-dev libbenchmark-dev)
missing=()
for p in "${packages[@]}"; do
  ((test_tools)) || [[ " ${test_only[*]} " != *" $p "* ]] || continue
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then missing+=("$p"); fi
done
# A node/npm already on PATH (nodesource, nvm) is fine: do not fight it with Debian's.
if command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=(); for p in "${missing[@]}"; do [[ "$p" == nodejs || "$p" == npm ]] || filtered+=("$p"); done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi
if ((${#missing[@]})); then
  echo "install-deps: apt-get install ${missing[*]}"
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# `npm ci` in DIR when its package-lock.json differs from the copy saved after the last install there.
# Scripts are not run.
npm_ci_pinned() {
  local dir=$1 what=$2 stamp="$1/node_modules/.tagmetry-lock"
  [[ -f "$dir/package-lock.json" ]] || return 0
  cmp -s "$dir/package-lock.json" "$stamp" 2>/dev/null && return 0
  echo "install-deps: npm ci ($what) in ${dir#"$here"/}"
  (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  cp "$dir/package-lock.json" "$stamp"
}

# ONNX Runtime (headers + libonnxruntime.so.1) pinned in third_party/onnxruntime/package-lock.json.
[[ -n "${TAGMETRY_ONNXRUNTIME_ROOT:-}" ]] || npm_ci_pinned "$here/third_party/onnxruntime" "ONNX Runtime"
# The GPU build (ORT 1.29 core + CUDA/TensorRT provider libraries, ~300 MB) only when asked for.
((gpu == 0)) || npm_ci_pinned "$here/third_party/onnxruntime-gpu" "ONNX Runtime GPU build"

# llama.cpp + ggml source for `tagmetry complete`: node-llama-cpp's npm package carries it as a git bundle.
# `npm pack` fetches the exact tarball pinned in third_party/llama/package.json (version + sha512 integrity);
# only llama/gitRelease.bundle is kept. CMake clones it at the pinned commit and builds libllama (docs/complete.md).
llama_bundle_pinned() {
  local dir="$here/third_party/llama" dest="$here/third_party/llama/node_modules/node-llama-cpp/llama"
  local spec integrity stamp="$dest/.tagmetry-integrity"
  spec=$(node -p "'node-llama-cpp@' + require('$dir/package.json').dependencies['node-llama-cpp']")
  integrity=$(node -p "require('$dir/package.json').tagmetry.integrity")
  [[ -f "$dest/gitRelease.bundle" && "$(cat "$stamp" 2>/dev/null)" == "$integrity" ]] && return 0
  echo "install-deps: npm pack $spec (llama.cpp source bundle) in third_party/llama"
  local tmp; tmp=$(mktemp -d)
  (cd "$tmp" && npm pack "$spec" --silent >/dev/null)
  local got; got="sha512-$(openssl dgst -sha512 -binary "$tmp"/node-llama-cpp-*.tgz | base64 -w0)"
  if [[ "$got" != "$integrity" ]]; then
    echo "install-deps: $spec: integrity mismatch ($got), expected $integrity" >&2; rm -rf "$tmp"; exit 1
  fi
  mkdir -p "$dest"
  tar -xzf "$tmp"/node-llama-cpp-*.tgz -C "$tmp" package/llama/gitRelease.bundle package/llama/llama.cpp.info.json
  mv "$tmp/package/llama/gitRelease.bundle" "$tmp/package/llama/llama.cpp.info.json" "$dest/"
  echo "$integrity" > "$stamp"
  rm -rf "$tmp"
}
[[ -n "${TAGMETRY_LLAMA_SOURCE:-}" ]] || llama_bundle_pinned

# The web app's build tools (Vite, TypeScript, Preact) and playwright-core for its browser tests, pinned in
# web/package-lock.json; playwright-core never downloads a browser (Debian's chromium).
npm_ci_pinned "$here/web" "web front end"
