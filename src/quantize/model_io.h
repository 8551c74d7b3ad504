#pragma once
// Reading an ONNX model file into its protobuf (the quantize and fp16 conversions share it).
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <filesystem>

#include "tagmetry/status.h"

namespace tagmetry {

// Parses `input` (weights inside the file, under 2 GB); `size` receives the file's size. Errors naming the
// file: missing (kNotFound), empty or not ONNX (kModel), over 2 GB (kUnsupported), `output` being the same
// file as `input` (kInvalidArgument).
Status read_onnx_model(const std::filesystem::path& input, const std::filesystem::path& output, onnx::ModelProto& model,
                       uint64_t& size);

}  // namespace tagmetry
