#pragma once
// What a tagger model's files say about themselves (`tagmetry models info`): the ONNX graph's output op,
// the input and output tensors, the labels file's size, and what the model type's spec assumes because
// it cannot be read (default_spec). Unlike Tagger::open, nothing is refused: problems are listed.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tagmetry/infer.h"
#include "tagmetry/model_registry.h"
#include "tagmetry/tagger_spec.h"

namespace tagmetry {

struct ModelInspection {
  std::optional<GraphSummary> graph;  // the ONNX protobuf's summary, when it could be read
  std::optional<TensorInfo> input;    // the first input and output of an ONNX Runtime session
  std::optional<TensorInfo> output;
  std::string layout = "unknown";     // of the input: "NHWC", "NCHW" or "unknown"
  int64_t side = -1;                  // the input's side (-1: dynamic or unknown)
  int64_t output_size = -1;           // the output's last dimension (-1: dynamic or none)
  std::optional<size_t> labels;       // labels in the labels file, when it could be read
  // What the model type's spec assumes (default_spec), as (key, description): channel_order, values,
  // spec_output, padding.
  std::vector<std::pair<std::string, std::string>> assumed;
  std::vector<std::string> problems;  // unreadable files, a label count that does not fit the output

  // {"read": {output_op, output_is_sigmoid, opset, input, output, labels}, "assumed": {…}, "problems": […]}
  std::string to_json(int indent = 2) const;
};

// Inspects `model` (ONNX) with its `labels` file as a `type` model. Never fails: what cannot be read is
// left out and named in `problems`.
ModelInspection inspect_tagger_model(const std::filesystem::path& model, const std::filesystem::path& labels,
                                     ModelType type);

}  // namespace tagmetry
