#pragma once
// Where ONNX Runtime's provider libraries live and whether they load (internal to src/infer).
#include <filesystem>
#include <string>

#include "tagmetry/status.h"

namespace tagmetry::ort {

// The folder of the libonnxruntime.so.1 this process loaded (ORT looks for its provider libraries there).
std::filesystem::path library_dir();

// Loads DIR/libonnxruntime_providers_<name>.so (after libonnxruntime_providers_shared.so, as ORT does) with
// every dependency resolved now, so a missing CUDA library is named ("libcublasLt.so.13: cannot open shared
// object file…") rather than ORT's "Failed to load library". OK when it loads; kUnsupported otherwise.
// `flag` starts the message ("--device cuda").
Status probe_provider(const std::string& name, const std::string& flag);

}  // namespace tagmetry::ort
