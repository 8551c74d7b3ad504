# Finds Tagmetry's third-party dependencies and gathers them into one interface target, tagmetry_deps.
# Every failure names the Debian package (or the setup step) that provides the missing piece.
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)

function(tagmetry_require_pkg var module apt)
  pkg_check_modules(${var} QUIET IMPORTED_TARGET ${module})
  if(NOT ${var}_FOUND)
    message(FATAL_ERROR "Tagmetry needs ${module}: apt-get install ${apt} (or run scripts/install-deps.sh)")
  endif()
endfunction()

tagmetry_require_pkg(VIPS vips libvips-dev)
tagmetry_require_pkg(SQLITE3 sqlite3 libsqlite3-dev)
tagmetry_require_pkg(CURL libcurl libcurl4-openssl-dev)
tagmetry_require_pkg(ICU "icu-uc;icu-i18n" libicu-dev)
tagmetry_require_pkg(FMT fmt libfmt-dev)

function(tagmetry_require_header header apt)
  find_path(_found_${header} NAMES ${header})
  if(NOT _found_${header})
    message(FATAL_ERROR "Tagmetry needs ${header}: apt-get install ${apt} (or run scripts/install-deps.sh)")
  endif()
endfunction()
tagmetry_require_header(httplib.h libcpp-httplib-dev)
tagmetry_require_header(nlohmann/json.hpp nlohmann-json3-dev)
tagmetry_require_header(toml.hpp libtoml11-dev)
tagmetry_require_header(CLI/CLI.hpp libcli11-dev)

find_library(MECAB_LIBRARY mecab)
find_path(MECAB_INCLUDE_DIR mecab.h)
if(NOT MECAB_LIBRARY OR NOT MECAB_INCLUDE_DIR)
  message(FATAL_ERROR "Tagmetry needs MeCab: apt-get install --no-install-recommends libmecab-dev mecab-ipadic-utf8")
endif()

# --- ONNX Runtime -------------------------------------------------------------------------------------
# Default: headers from com.github.asus4.onnxruntime (official ORT 1.29 headers) and Microsoft's CPU
# libonnxruntime.so.1 from onnxruntime-node, both pinned in third_party/onnxruntime (npm ci --ignore-scripts).
# -DTAGMETRY_GPU=ON: ORT 1.29's own Linux x64 libonnxruntime.so from com.github.asus4.onnxruntime with the
# CUDA 13 / TensorRT provider libraries of com.github.asus4.onnxruntime.linux-x64-gpu (the same ORT build),
# pinned in third_party/onnxruntime-gpu (scripts/install-deps.sh --gpu); docs/gpu.md.
# -DTAGMETRY_ONNXRUNTIME_ROOT=DIR uses any other build (distro packages, own builds): DIR/include and DIR/lib.
set(_ort_npm "${PROJECT_SOURCE_DIR}/third_party/onnxruntime/node_modules")
set(_ort_provider_dir "")
if(TAGMETRY_GPU AND NOT TAGMETRY_ONNXRUNTIME_ROOT)
  set(_ort_gpu "${PROJECT_SOURCE_DIR}/third_party/onnxruntime-gpu/node_modules")
  # Own cache names: switching TAGMETRY_GPU in a configured build directory finds the right library each way.
  # The headers are the same package version as the default's; that copy first, so ccache shares objects.
  find_path(ORT_GPU_INCLUDE_DIR onnxruntime_cxx_api.h
            PATHS "${_ort_npm}/com.github.asus4.onnxruntime/Plugins/iOS~/onnxruntime.xcframework/ios-arm64/onnxruntime.framework/Headers"
                  "${_ort_gpu}/com.github.asus4.onnxruntime/Plugins/iOS~/onnxruntime.xcframework/ios-arm64/onnxruntime.framework/Headers"
            NO_DEFAULT_PATH)
  find_file(ORT_GPU_LIBRARY libonnxruntime.so PATHS "${_ort_gpu}/com.github.asus4.onnxruntime/Plugins/Linux/x64" NO_DEFAULT_PATH)
  set(ORT_INCLUDE_DIR "${ORT_GPU_INCLUDE_DIR}")
  set(ORT_LIBRARY "${ORT_GPU_LIBRARY}")
  set(_ort_provider_dir "${_ort_gpu}/com.github.asus4.onnxruntime.linux-x64-gpu/Plugins/Linux/x64")
  if(NOT EXISTS "${_ort_provider_dir}/libonnxruntime_providers_cuda.so")
    set(ORT_LIBRARY "")
  endif()
  set(_ort_hint "run scripts/install-deps.sh --gpu (npm ci --ignore-scripts in third_party/onnxruntime-gpu)")
elseif(TAGMETRY_ONNXRUNTIME_ROOT)
  find_path(ORT_INCLUDE_DIR onnxruntime_cxx_api.h
            PATHS "${TAGMETRY_ONNXRUNTIME_ROOT}/include" "${TAGMETRY_ONNXRUNTIME_ROOT}/include/onnxruntime"
            NO_DEFAULT_PATH)
  find_library(ORT_LIBRARY NAMES onnxruntime libonnxruntime.so.1
               PATHS "${TAGMETRY_ONNXRUNTIME_ROOT}/lib" "${TAGMETRY_ONNXRUNTIME_ROOT}/lib64" NO_DEFAULT_PATH)
  if(ORT_LIBRARY)
    get_filename_component(_ort_provider_dir "${ORT_LIBRARY}" DIRECTORY)  # GPU builds keep providers beside it
  endif()
  set(_ort_hint "check -DTAGMETRY_ONNXRUNTIME_ROOT=${TAGMETRY_ONNXRUNTIME_ROOT} (expects include/onnxruntime_cxx_api.h and lib/libonnxruntime.so)")
else()
  find_path(ORT_INCLUDE_DIR onnxruntime_cxx_api.h
            PATHS "${_ort_npm}/com.github.asus4.onnxruntime/Plugins/iOS~/onnxruntime.xcframework/ios-arm64/onnxruntime.framework/Headers"
            NO_DEFAULT_PATH)
  find_file(ORT_LIBRARY libonnxruntime.so.1
            PATHS "${_ort_npm}/onnxruntime-node/bin/napi-v6/linux/x64" NO_DEFAULT_PATH)
  if(NOT ORT_LIBRARY)
    find_file(ORT_LIBRARY libonnxruntime.so
              PATHS "${_ort_npm}/com.github.asus4.onnxruntime/Plugins/Linux/x64" NO_DEFAULT_PATH)
  endif()
  set(_ort_hint "run scripts/install-deps.sh (npm ci --ignore-scripts in third_party/onnxruntime), or pass -DTAGMETRY_ONNXRUNTIME_ROOT=DIR")
endif()
if(NOT ORT_INCLUDE_DIR OR NOT ORT_LIBRARY)
  message(FATAL_ERROR "ONNX Runtime not found: ${_ort_hint}")
endif()
# The loader looks for the SONAME (libonnxruntime.so.1); some packages ship the file under another name.
# Stage it in the build tree under its SONAME and link from there, with an RPATH to it.
set(ORT_STAGE_DIR "${CMAKE_BINARY_DIR}/onnxruntime/lib")
file(MAKE_DIRECTORY "${ORT_STAGE_DIR}")
file(REAL_PATH "${ORT_LIBRARY}" _ort_real)
file(CREATE_LINK "${_ort_real}" "${ORT_STAGE_DIR}/libonnxruntime.so.1" SYMBOLIC)
file(CREATE_LINK "libonnxruntime.so.1" "${ORT_STAGE_DIR}/libonnxruntime.so" SYMBOLIC)
# ORT loads its provider libraries from the folder of libonnxruntime.so.1 as loaded, i.e. this one.
foreach(_p shared cuda tensorrt)
  set(_lib "libonnxruntime_providers_${_p}.so")
  if(_ort_provider_dir AND EXISTS "${_ort_provider_dir}/${_lib}")
    file(CREATE_LINK "${_ort_provider_dir}/${_lib}" "${ORT_STAGE_DIR}/${_lib}" SYMBOLIC)
  else()
    file(REMOVE "${ORT_STAGE_DIR}/${_lib}")
  endif()
endforeach()
add_library(onnxruntime SHARED IMPORTED)
set_target_properties(onnxruntime PROPERTIES
  IMPORTED_LOCATION "${ORT_STAGE_DIR}/libonnxruntime.so.1"
  IMPORTED_SONAME "libonnxruntime.so.1"
  INTERFACE_INCLUDE_DIRECTORIES "${ORT_INCLUDE_DIR}")
# $ORIGIN first: a build tree copied elsewhere (bench/gpu) still finds its ONNX Runtime.
set(CMAKE_BUILD_RPATH "$ORIGIN/../onnxruntime/lib;${ORT_STAGE_DIR}")
set(CMAKE_INSTALL_RPATH "$ORIGIN/../lib")
# The file itself, not the staging symlink (which points into the source tree).
install(FILES "${_ort_real}" DESTINATION lib RENAME libonnxruntime.so.1)
message(STATUS "ONNX Runtime: ${ORT_INCLUDE_DIR} ; ${_ort_real}")

# --- Python for test fixtures (python3-onnx) -------------------------------------------------------------
if(NOT TAGMETRY_PYTHON)
  if(EXISTS /usr/bin/python3)
    set(TAGMETRY_PYTHON /usr/bin/python3 CACHE FILEPATH "" FORCE)
  else()
    find_program(TAGMETRY_PYTHON python3)
  endif()
endif()

add_library(tagmetry_deps INTERFACE)
target_include_directories(tagmetry_deps INTERFACE ${MECAB_INCLUDE_DIR})
target_link_libraries(tagmetry_deps INTERFACE
  PkgConfig::VIPS PkgConfig::SQLITE3 PkgConfig::CURL PkgConfig::ICU PkgConfig::FMT
  ${MECAB_LIBRARY} onnxruntime Threads::Threads)
