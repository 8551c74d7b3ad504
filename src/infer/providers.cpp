// Provider libraries: find them beside libonnxruntime and load them once ourselves to learn why they fail.
#include "providers.h"
#include "tagmetry/infer.h"

#include <dlfcn.h>
#include <onnxruntime_c_api.h>

namespace tagmetry::ort {
namespace fs = std::filesystem;

namespace {
std::string last_dl_error() {
  const char* e = dlerror();
  return e ? e : "unknown error";
}
}  // namespace

fs::path library_dir() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&OrtGetApiBase), &info) == 0 || !info.dli_fname) return {};
  return fs::path(info.dli_fname).parent_path().lexically_normal();
}

Status probe_provider(const std::string& name, const std::string& flag) {
  const fs::path dir = library_dir();
  const fs::path shared = dir / "libonnxruntime_providers_shared.so";
  const fs::path lib = dir / ("libonnxruntime_providers_" + name + ".so");
  std::error_code ec;
  if (!fs::exists(lib, ec))
    return unsupported(flag + ": this ONNX Runtime (" + (dir / "libonnxruntime.so.1").string() + ") has no " +
                       lib.filename().string() + " beside it; install the GPU build with scripts/install-deps.sh --gpu "
                       "and rebuild (docs/gpu.md)");
  if (!fs::exists(shared, ec))
    return unsupported(flag + ": " + shared.string() + " is missing (the provider library needs it); reinstall with "
                       "scripts/install-deps.sh --gpu (docs/gpu.md)");
  // ORT itself keeps libonnxruntime_providers_shared.so loaded globally; the provider resolves against it.
  void* host = dlopen(shared.c_str(), RTLD_NOW | RTLD_GLOBAL);
  if (!host) return unsupported(flag + ": cannot load " + shared.string() + ": " + last_dl_error());
  void* handle = dlopen(lib.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    std::string why = last_dl_error();
    // dlerror: "PATH: libcublasLt.so.13: cannot open shared object file: No such file or directory".
    const std::string prefix = lib.string() + ": ";
    if (why.starts_with(prefix)) why = why.substr(prefix.size());
    std::string hint = " (it needs the NVIDIA driver's libcuda.so.1, CUDA 13's libcudart, libcublas and libcublasLt "
                       ".so.13 and libcurand.so.10, and cuDNN 9";
    if (name == "tensorrt") hint += ", and TensorRT 10's libnvinfer.so.10";
    hint += ", on LD_LIBRARY_PATH or in the system's library folders; `tagmetry doctor` shows what is found; docs/gpu.md)";
    dlclose(host);
    return unsupported(flag + ": ONNX Runtime's " + name + " provider " + lib.string() + " cannot be loaded: " + why + hint);
  }
  // Kept loaded: ORT opens the same file next (no second load of ~230 MB) and its release at shutdown then
  // leaves the CUDA runtime in place until the process ends.
  (void)handle;
  return {};
}

}  // namespace tagmetry::ort

namespace tagmetry {

const Operation<DoctorParams>& doctor_operation() {
  static const Operation<DoctorParams> op = [] {
    Operation<DoctorParams> o;
    o.info = {"doctor", "Show the ONNX Runtime in use, which --device values work here and the GPU libraries found",
                               "", "gpu.md"};
    o.options.add("json", &DoctorParams::json, "Print the result as JSON");
    return o;
  }();
  return op;
}

}  // namespace tagmetry
