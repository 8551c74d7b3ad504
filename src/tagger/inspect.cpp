// `models info`: what a tagger model's files say about themselves (see model_inspection.h).
#include <charconv>
#include <nlohmann/json.hpp>

#include "tagmetry/labels.h"
#include "tagmetry/model_inspection.h"

namespace tagmetry {
namespace fs = std::filesystem;

namespace {

// "0.48145466, 0.4578275, 0.40821073": the shortest text of each value.
std::string number_list(const std::array<double, 3>& values) {
  std::string out;
  for (double v : values) {
    char buf[32];
    auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
    out += (out.empty() ? "" : ", ") + std::string(buf, end);
  }
  return out;
}

// The spec's assumptions in words, as `models info` prints them.
std::vector<std::pair<std::string, std::string>> describe_assumptions(const TaggerSpec& spec) {
  std::string values = "0-255 (the model normalises inside)";
  if (spec.scale_to_unit) {
    values = "/255";
    if (spec.mean[0] != 0)
      values += ", then CLIP mean (" + number_list(kClipImageMean) + ") std (" + number_list(kClipImageStd) + ")";
  }
  return {{"channel_order", spec.bgr ? "BGR" : "RGB"},
          {"values", values},
          {"padding", "alpha on white, centred on a white square"}};
}

}  // namespace

ModelInspection inspect_tagger_model(const fs::path& model, const fs::path& labels, ModelType type) {
  ModelInspection r;
  auto graph = inspect_onnx_graph(model);
  if (graph.ok()) r.graph = *graph;
  else r.problems.push_back(graph.status().message());
  SessionOptions so;
  so.threads = 1;
  auto session = InferenceSession::open(model, so);
  if (session.ok() && !(*session)->inputs().empty() && !(*session)->outputs().empty()) {
    const TensorInfo& in = (*session)->inputs()[0];
    r.input = in;
    r.output = (*session)->outputs()[0];
    if (in.shape.size() == 4 && in.shape[3] == 3) r.layout = "NHWC", r.side = in.shape[1];
    else if (in.shape.size() == 4 && in.shape[1] == 3) r.layout = "NCHW", r.side = in.shape[2];
    r.output_size = r.output->shape.empty() ? -1 : r.output->shape.back();
  } else if (!session.ok()) {
    r.problems.push_back(session.status().message());
  }
  auto set = type == ModelType::kWd ? load_wd_labels(labels) : load_joytag_labels(labels);
  if (set.ok()) {
    r.labels = set->size();
    if (r.output && r.output_size != static_cast<int64_t>(*r.labels))
      r.problems.push_back("the model has " + std::to_string(r.output_size) + " outputs but " +
                           labels.filename().string() + " has " + std::to_string(*r.labels) + " labels");
  } else {
    r.problems.push_back(set.status().message());
  }
  r.assumed = describe_assumptions(default_spec(type));
  return r;
}

std::string ModelInspection::to_json(int indent) const {
  using nlohmann::json;
  json read, assumed_json = json::object();  // read stays null when nothing could be read
  if (graph) {
    read["output_op"] = graph->output_op;
    read["output_is_sigmoid"] = graph->output_is_sigmoid;
    read["output_kind"] = output_kind_name(graph->output_kind);
    read["output_kind_from"] = graph->output_kind_source;
    read["opset"] = graph->opset;
  }
  if (input && output) {
    read["input"] = {{"name", input->name}, {"shape", input->shape}, {"element_type", input->element_type},
                     {"layout", layout}, {"side", side}};
    read["output"] = {{"name", output->name}, {"shape", output->shape}, {"element_type", output->element_type},
                      {"size", output_size}};
  }
  if (labels) read["labels"] = *labels;
  for (auto& [key, text] : assumed) assumed_json[key] = text;
  return json{{"read", read}, {"assumed", assumed_json}, {"problems", problems}}.dump(indent);
}

}  // namespace tagmetry
