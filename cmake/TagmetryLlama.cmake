# llama.cpp (libllama + ggml, CPU backend) for `tagmetry complete`, built from one pinned revision.
# The source comes from the npm package pinned in third_party/llama/package.json: node-llama-cpp carries the
# complete llama.cpp tree as a git bundle, which scripts/install-deps.sh fetches (`npm pack`, integrity
# checked). Here the bundle is cloned into the build tree at the pinned commit and added as a subproject,
# so headers and library always come from the same commit and nothing is downloaded at build time.
#
#   -DTAGMETRY_LLAMA=OFF           build without it; `tagmetry complete` then says why it is unavailable
#   -DTAGMETRY_LLAMA_SOURCE=DIR    another llama.cpp checkout (same C API) instead of the pinned bundle
#   -DGGML_CUDA=ON                 llama.cpp's own switch: its CUDA backend where the CUDA toolkit is installed
#
# Sets TAGMETRY_HAVE_LLAMA (ON when the `llama` target exists).
option(TAGMETRY_LLAMA "Build tagmetry complete with the pinned llama.cpp (third_party/llama)" ON)
set(TAGMETRY_LLAMA_SOURCE "" CACHE PATH "llama.cpp source tree to use instead of the pinned bundle")
set(TAGMETRY_HAVE_LLAMA OFF)
set(TAGMETRY_LLAMA_UNAVAILABLE "built with -DTAGMETRY_LLAMA=OFF")

function(tagmetry_add_llama)
  file(READ "${PROJECT_SOURCE_DIR}/third_party/llama/package.json" _pin)
  string(JSON _commit GET "${_pin}" tagmetry llamaCppCommit)
  set(_bundle "${PROJECT_SOURCE_DIR}/third_party/llama/node_modules/node-llama-cpp/llama/gitRelease.bundle")
  if(TAGMETRY_LLAMA_SOURCE)
    set(_src "${TAGMETRY_LLAMA_SOURCE}")
  elseif(NOT EXISTS "${_bundle}")
    message(WARNING "llama.cpp source not installed (${_bundle}): `tagmetry complete` is disabled. "
                    "Run scripts/install-deps.sh and reconfigure, or pass -DTAGMETRY_LLAMA=OFF to silence this.")
    set(TAGMETRY_LLAMA_UNAVAILABLE "built without llama.cpp: its pinned source was not installed (run scripts/install-deps.sh and rebuild)" PARENT_SCOPE)
    return()
  else()
    find_package(Git REQUIRED)
    set(_src "${CMAKE_BINARY_DIR}/_deps/llama.cpp")
    set(_head "")
    if(EXISTS "${_src}/.git")
      execute_process(COMMAND "${GIT_EXECUTABLE}" -C "${_src}" rev-parse HEAD
                      OUTPUT_VARIABLE _head OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    endif()
    if(NOT _head STREQUAL _commit)
      message(STATUS "llama.cpp: cloning ${_commit} from ${_bundle}")
      file(REMOVE_RECURSE "${_src}")
      execute_process(COMMAND "${GIT_EXECUTABLE}" clone --quiet --no-checkout "${_bundle}" "${_src}"
                      RESULT_VARIABLE _rc1)
      execute_process(COMMAND "${GIT_EXECUTABLE}" -C "${_src}" -c advice.detachedHead=false checkout --quiet "${_commit}"
                      RESULT_VARIABLE _rc2)
      if(NOT _rc1 EQUAL 0 OR NOT _rc2 EQUAL 0)
        message(FATAL_ERROR "llama.cpp: cannot check out ${_commit} from ${_bundle} "
                            "(rerun scripts/install-deps.sh, or -DTAGMETRY_LLAMA=OFF)")
      endif()
    endif()
  endif()

  # Only libllama and ggml's CPU backend: no common/, tools, examples, tests, server or web UI.
  set(BUILD_SHARED_LIBS OFF)
  set(LLAMA_BUILD_COMMON OFF)
  set(LLAMA_BUILD_TESTS OFF)
  set(LLAMA_BUILD_TOOLS OFF)
  set(LLAMA_BUILD_EXAMPLES OFF)
  set(LLAMA_BUILD_SERVER OFF)
  set(LLAMA_BUILD_APP OFF)
  set(LLAMA_OPENSSL OFF)
  set(LLAMA_ALL_WARNINGS OFF)
  set(GGML_ALL_WARNINGS OFF)
  set(GGML_OPENMP OFF)        # ggml's own thread pool; no libgomp dependency
  set(GGML_CCACHE OFF)        # our CMAKE_<LANG>_COMPILER_LAUNCHER applies when set
  set(CMAKE_POSITION_INDEPENDENT_CODE ON)
  add_subdirectory("${_src}" "${CMAKE_BINARY_DIR}/_deps/llama.cpp-build" EXCLUDE_FROM_ALL SYSTEM)
  set(TAGMETRY_HAVE_LLAMA ON PARENT_SCOPE)
  message(STATUS "llama.cpp: ${_src} @ ${_commit}")
endfunction()

if(TAGMETRY_LLAMA)
  tagmetry_add_llama()
endif()
