#include "tagmetry/tagger.h"

#include <cmath>

namespace tagmetry {
namespace fs = std::filesystem;

namespace {
std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + (shape[i] < 0 ? std::string("?") : std::to_string(shape[i]));
  return s + "]";
}
}  // namespace

Result<std::unique_ptr<Tagger>> Tagger::open(const ModelFolder& folder, const SessionOptions& options) {
  std::unique_ptr<Tagger> t(new Tagger());
  t->model_path_ = folder.model;
  t->spec_ = default_spec(folder.type);
  TaggerSpec& spec = t->spec_;

  auto labels = folder.type == ModelType::kWd ? load_wd_labels(folder.labels) : load_joytag_labels(folder.labels);
  if (!labels.ok()) return labels.status();
  t->labels_ = std::move(labels).value();

  TM_ASSIGN_OR_RETURN(GraphSummary graph, inspect_onnx_graph(folder.model));
  TM_ASSIGN_OR_RETURN(t->session_, InferenceSession::open(folder.model, options));
  const auto& inputs = t->session_->inputs();
  const auto& outputs = t->session_->outputs();
  const std::string name = folder.model.filename().string();
  if (inputs.size() != 1 || outputs.empty())
    return model_error(name + ": expected one image input and an output, found " + std::to_string(inputs.size()) +
                       " inputs and " + std::to_string(outputs.size()) + " outputs");
  const TensorInfo& in = inputs[0];
  if (in.element_type != "float32") return model_error(name + ": input '" + in.name + "' is " + in.element_type + ", expected float32");
  if (in.shape.size() != 4) return model_error(name + ": input shape " + shape_text(in.shape) + " is not an image batch (4 dimensions)");

  if (in.shape[3] == 3) {
    spec.layout = TensorLayout::kNhwc;
    if (in.shape[1] > 0) spec.side = static_cast<int>(in.shape[1]);
  } else if (in.shape[1] == 3) {
    spec.layout = TensorLayout::kNchw;
    if (in.shape[2] > 0) spec.side = static_cast<int>(in.shape[2]);
  } else {
    return model_error(name + ": input shape " + shape_text(in.shape) + " has no 3-channel axis (NHWC or NCHW)");
  }
  bool side_read = (spec.layout == TensorLayout::kNhwc ? in.shape[1] : in.shape[2]) > 0;
  spec.read_from_model.push_back(std::string("input '") + in.name + "' " + shape_text(in.shape) + ": layout " +
                                 (spec.layout == TensorLayout::kNhwc ? "NHWC" : "NCHW") +
                                 (side_read ? ", side " + std::to_string(spec.side) : ""));
  if (!side_read) spec.assumed.push_back("side " + std::to_string(spec.side) + " (the model's input side is dynamic)");

  const TensorInfo& out = outputs[0];
  int64_t out_size = out.shape.empty() ? -1 : out.shape.back();
  if (out_size > 0) {
    spec.output_size = static_cast<size_t>(out_size);
    if (spec.output_size != t->labels_.size())
      return model_error(name + ": the model has " + std::to_string(out_size) + " outputs but " +
                         folder.labels.filename().string() + " has " + std::to_string(t->labels_.size()) +
                         " labels (wrong labels file for this model?)");
    spec.read_from_model.push_back("output '" + out.name + "' " + shape_text(out.shape) + ": " +
                                   std::to_string(out_size) + " scores");
  } else {
    spec.output_size = t->labels_.size();
    spec.assumed.push_back("output size " + std::to_string(spec.output_size) + " (dynamic in the model; checked per batch)");
  }

  // Logits or probabilities: read from the model (its declared metadata, else the op that produces the
  // output), never guessed from the values of a batch.
  spec.output_is_logits = graph.output_kind == OutputKind::kLogits;
  spec.read_from_model.push_back(graph.output_kind_source + ": " +
                                 (spec.output_is_logits ? "logits (sigmoid applied)" : "probabilities"));
  spec.assumed.push_back(std::string("channel order ") + (spec.bgr ? "BGR" : "RGB") + ", values " +
                         (spec.scale_to_unit ? "/255" : "0-255") +
                         (spec.scale_to_unit && spec.mean[0] != 0 ? " then CLIP mean/std" : "") + " (" +
                         model_type_name(spec.type) + " model type)");
  return t;
}

void Tagger::preprocess(const RgbImage& image, float* dst) const {
  const int side = spec_.side;
  const size_t plane = static_cast<size_t>(side) * side;
  float scale[3], offset[3];  // value = pixel * scale[c] + offset[c], c in RGB order
  for (int c = 0; c < 3; ++c) {
    float s = spec_.scale_to_unit ? 1.0f / 255.0f : 1.0f;
    scale[c] = s / spec_.std[c];
    offset[c] = -spec_.mean[c] / spec_.std[c];
  }
  // Destination channel k takes source channel src[k].
  const int src[3] = {spec_.bgr ? 2 : 0, 1, spec_.bgr ? 0 : 2};
  const uint8_t* p = image.pixels.data();
  if (spec_.layout == TensorLayout::kNhwc) {
    for (size_t i = 0; i < plane; ++i, p += 3, dst += 3)
      for (int k = 0; k < 3; ++k) dst[k] = p[src[k]] * scale[src[k]] + offset[src[k]];
  } else {
    for (size_t i = 0; i < plane; ++i, p += 3)
      for (int k = 0; k < 3; ++k) dst[k * plane + i] = p[src[k]] * scale[src[k]] + offset[src[k]];
  }
}

Status Tagger::load_and_preprocess(const fs::path& path, float* dst) const {
  TM_ASSIGN_OR_RETURN(RgbImage image, load_padded_square(path, spec_.side));
  preprocess(image, dst);
  return {};
}

Result<std::vector<std::vector<float>>> Tagger::infer(const float* input, size_t count) {
  std::vector<int64_t> shape = spec_.layout == TensorLayout::kNhwc
                                   ? std::vector<int64_t>{static_cast<int64_t>(count), spec_.side, spec_.side, 3}
                                   : std::vector<int64_t>{static_cast<int64_t>(count), 3, spec_.side, spec_.side};
  TM_ASSIGN_OR_RETURN(OutputTensor out, session_->run(input, shape));
  const std::string name = model_path_.filename().string();
  if (out.values.size() != count * labels_.size())
    return model_error(name + ": output has " + std::to_string(out.values.size() / std::max<size_t>(count, 1)) +
                       " scores per image but the labels file has " + std::to_string(labels_.size()));
  std::vector<std::vector<float>> result(count);
  const size_t n = labels_.size();
  for (size_t i = 0; i < count; ++i) {
    const float* row = out.values.data() + i * n;
    bool finite = true;
    for (size_t j = 0; j < n && finite; ++j) finite = std::isfinite(row[j]);
    if (!finite) continue;  // caller reports the image
    auto& probs = result[i];
    probs.assign(row, row + n);
    if (spec_.output_is_logits)
      for (auto& v : probs) v = 1.0f / (1.0f + std::exp(-v));
  }
  return result;
}

}  // namespace tagmetry
