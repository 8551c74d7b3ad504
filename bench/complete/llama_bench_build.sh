# Sourced by the bench/complete scripts. build_llama_bench BUILD: builds llama.cpp's llama-bench from the
# source tree the main build cloned (BUILD/_deps/llama.cpp, the pinned commit) into
# BUILD/_deps/llama-bench-build once, and prints its path. The default build never builds it.
build_llama_bench() {
  local src="$1/_deps/llama.cpp" bb="$1/_deps/llama-bench-build"
  [ -f "$src/CMakeLists.txt" ] || { echo "no llama.cpp source in $src: build tagmetry first" >&2; return 2; }
  if [ ! -x "$bb/bin/llama-bench" ]; then
    cmake -S "$src" -B "$bb" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF -DLLAMA_BUILD_TOOLS=ON \
      -DLLAMA_BUILD_COMMON=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF \
      -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DGGML_OPENMP=OFF -DGGML_CCACHE=ON > /dev/null
    cmake --build "$bb" --target llama-bench -j2 > /dev/null
  fi
  echo "$bb/bin/llama-bench"
}
