#include "model_io.h"

#include <fstream>
#include <string>

namespace tagmetry {
namespace fs = std::filesystem;

Status read_onnx_model(const fs::path& input, const fs::path& output, onnx::ModelProto& model, uint64_t& size) {
  constexpr int64_t kMaxProtobufBytes = (int64_t{1} << 31) - 1;
  const std::string in_name = input.string();
  std::error_code ec;
  if (!fs::is_regular_file(input, ec)) return not_found(in_name + ": no such model file");
  if (fs::exists(output, ec) && fs::equivalent(input, output, ec))
    return invalid_argument(output.string() + ": the output would overwrite the input model");
  size = fs::file_size(input, ec);
  if (ec) return io_error(in_name + ": " + ec.message());
  if (size == 0) return model_error(in_name + ": not an ONNX model (empty file)");
  if (size > static_cast<uint64_t>(kMaxProtobufBytes))
    return unsupported(in_name + ": models over 2 GB (weights in external data) are not supported");
  std::ifstream f(input, std::ios::binary);
  std::string bytes(size, '\0');
  if (!f.read(bytes.data(), static_cast<std::streamsize>(size))) return io_error(in_name + ": cannot read");
  if (!model.ParseFromString(bytes) || !model.has_graph() || model.graph().node_size() == 0 || model.ir_version() <= 0)
    return model_error(in_name + ": not an ONNX model (truncated or malformed protobuf)");
  return {};
}

}  // namespace tagmetry
