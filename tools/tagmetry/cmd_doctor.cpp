// tagmetry doctor: which ONNX Runtime this binary loaded, which --device values work on this machine (the
// provider library loads with all its dependencies) and where the CUDA / cuDNN libraries were found.
#include <nlohmann/json.hpp>

#include <cstdio>

#include "cli_options.h"
#include "cli_output.h"
#include "command.h"
#include "tagmetry/infer.h"

namespace tagmetry::cli {
namespace {

RunFunction setup_doctor(CLI::App& sub) {
  auto bound = std::make_shared<BoundOptions<DoctorParams>>(sub, doctor_operation());
  return [bound] {
    DoctorParams p;
    if (Status s = bound->apply(p); !s.ok()) return print_error(s), kExitUsage;
    auto devices = check_devices();
    auto libraries = gpu_runtime_libraries();
    if (p.json) {
      nlohmann::json j{{"onnxruntime", onnxruntime_version()}, {"onnxruntime_dir", onnxruntime_library_dir()}};
      for (auto& d : devices)
        j["devices"].push_back({{"device", d.device}, {"provider", d.provider}, {"usable", d.usable}, {"detail", d.detail}});
      for (auto& [name, path] : libraries) j["libraries"][name] = path.empty() ? nlohmann::json() : nlohmann::json(path);
      std::printf("%s\n", j.dump(2).c_str());
      return kExitOk;
    }
    std::printf("ONNX Runtime %s (%s)\n", onnxruntime_version().c_str(), onnxruntime_library_dir().c_str());
    std::printf("devices:\n");
    for (auto& d : devices)
      std::printf("  %-9s %-4s %s: %s\n", d.device.c_str(), d.usable ? "yes" : "no", d.provider.c_str(), d.detail.c_str());
    std::printf("GPU libraries (CUDA 13 / cuDNN 9, as the dynamic loader finds them):\n");
    for (auto& [name, path] : libraries)
      std::printf("  %-18s %s\n", name.c_str(), path.empty() ? "not found" : path.c_str());
    return kExitOk;
  };
}

}  // namespace

TAGMETRY_OPERATION_COMMAND(doctor_operation(), 90, setup_doctor);

}  // namespace tagmetry::cli
