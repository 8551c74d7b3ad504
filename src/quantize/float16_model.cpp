// fp32 → fp16 conversion over the ONNX protobuf. Each node is either an fp16 node (its float inputs and
// outputs become float16) or an fp32 node (an op of keep_fp32_ops); every float value carries the precision
// its producer gives it, and a consumer that needs the other precision gets a shared Cast (or, for a
// weight, a converted copy of the initializer). Graph inputs and outputs stay float32. Which values are
// float is known from value_info where the model has it, else propagated op by op in topological order.
// Follows onnxconverter-common's float16.convert_float_to_float16(keep_io_types=True) (2024) in what it
// converts; the shared casts and the fp32 chains are ours.

#include "tagmetry/float16_model.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <unordered_map>

#include "model_io.h"
#include "tagmetry/files.h"

namespace tagmetry {
namespace {

namespace fs = std::filesystem;
using onnx::NodeProto;
using onnx::TensorProto;

constexpr int kFloat = TensorProto::FLOAT;
constexpr int kHalf = TensorProto::FLOAT16;

// Ops whose outputs have a fixed type, whatever their inputs.
int fixed_output_type(const NodeProto& n, int index) {
  static const std::set<std::string> kInt64 = {"Shape", "Size", "NonZero", "ArgMax", "ArgMin"};
  static const std::set<std::string> kBool = {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Not",
                                              "And",   "Or",   "Xor",     "IsNaN",       "IsInf"};
  const std::string& op = n.op_type();
  if (kInt64.count(op)) return TensorProto::INT64;
  if (kBool.count(op)) return TensorProto::BOOL;
  if ((op == "TopK" || op == "MaxPool") && index == 1) return TensorProto::INT64;
  if (op == "Dropout" && index == 1) return TensorProto::BOOL;
  return 0;
}

int attr_type(const NodeProto& n) {
  for (const auto& a : n.attribute()) {
    if (a.name() == "to" || a.name() == "dtype") return static_cast<int>(a.i());
    if (a.name() == "value" && a.has_t()) return a.t().data_type();
    if (a.name() == "value_float" || a.name() == "value_floats") return kFloat;
    if (a.name() == "value_int" || a.name() == "value_ints") return TensorProto::INT64;
  }
  return 0;
}

// Reads a float32 weight kept in an external data file (beside the model) into the tensor itself.
Status inline_external(TensorProto& t, const fs::path& model_dir) {
  std::string location;
  uint64_t offset = 0, length = 0;
  for (const auto& kv : t.external_data()) {
    if (kv.key() == "location")
      location = kv.value();
    else if (kv.key() == "offset")
      offset = std::stoull(kv.value());
    else if (kv.key() == "length")
      length = std::stoull(kv.value());
  }
  int64_t n = 1;
  for (int64_t d : t.dims()) n *= d;
  if (length == 0) length = static_cast<uint64_t>(n) * sizeof(float);
  const fs::path file = model_dir / location;
  if (location.empty() || location.find("..") != std::string::npos)
    return corrupt("weight " + t.name() + ": bad external data location '" + location + "'");
  std::ifstream f(file, std::ios::binary);
  std::string bytes(length, '\0');
  if (!f.seekg(static_cast<std::streamoff>(offset)) || !f.read(bytes.data(), static_cast<std::streamsize>(length)))
    return io_error(file.string() + ": cannot read weight " + t.name());
  t.clear_external_data();
  t.set_data_location(TensorProto::DEFAULT);
  t.set_raw_data(std::move(bytes));
  return {};
}

Status convert_tensor(TensorProto& t) {
  if (t.data_type() != kFloat) return {};
  int64_t n = 1;
  for (int64_t d : t.dims()) n *= d;
  std::vector<uint16_t> half(static_cast<size_t>(n));
  if (t.has_raw_data()) {
    if (t.raw_data().size() != half.size() * sizeof(float))
      return corrupt("weight " + t.name() + " has the wrong size");
    for (size_t i = 0; i < half.size(); ++i) {
      float f;
      std::memcpy(&f, t.raw_data().data() + i * sizeof(float), sizeof f);
      half[i] = float_to_half_bits(f);
    }
  } else if (t.float_data_size() == n) {
    for (size_t i = 0; i < half.size(); ++i) half[i] = float_to_half_bits(t.float_data(static_cast<int>(i)));
  } else {
    return corrupt("weight " + t.name() + " has the wrong size");
  }
  t.clear_float_data();
  t.set_data_type(kHalf);
  t.set_raw_data(std::string(reinterpret_cast<const char*>(half.data()), half.size() * sizeof(uint16_t)));
  return {};
}

class Converter {
 public:
  Converter(onnx::ModelProto& model, const Float16Params& params, fs::path model_dir)
      : model_(model), model_dir_(std::move(model_dir)) {
    const auto& ops = params.keep_fp32_ops.empty() ? default_fp32_ops() : params.keep_fp32_ops;
    keep_.insert(ops.begin(), ops.end());
  }

  Result<Float16Report> run() {
    onnx::GraphProto& g = *model_.mutable_graph();
    for (auto& t : *g.mutable_initializer()) {
      if (t.data_type() == kHalf) return unsupported("the model already has float16 weights");
      // Float weights in an external file are read in (the fp16 copy is half their size); others keep
      // pointing at the file, which stays beside the copy.
      if (t.data_type() == kFloat && t.data_location() == TensorProto::EXTERNAL) {
        TM_RETURN_IF_ERROR(inline_external(t, model_dir_));
        report_.input_bytes += t.raw_data().size();
      }
      type_[t.name()] = t.data_type();
      if (t.data_type() == kFloat) initializer_[t.name()] = &t;
    }
    for (const auto& vi : g.value_info()) type_[vi.name()] = vi.type().tensor_type().elem_type();
    for (const auto& vi : g.output()) type_[vi.name()] = vi.type().tensor_type().elem_type();
    for (const auto& vi : g.input()) {
      type_[vi.name()] = vi.type().tensor_type().elem_type();
      if (vi.type().tensor_type().elem_type() == kHalf) return unsupported("the model already has float16 inputs");
      if (type_[vi.name()] == kFloat) precision_[vi.name()] = kFloat;
    }

    google::protobuf::RepeatedPtrField<NodeProto> nodes;
    for (auto& node : *g.mutable_node()) {
      if (!node.domain().empty() && node.domain() != "ai.onnx")
        return unsupported("node " + label(node) + " is in domain " + node.domain() +
                           " (the fp16 conversion handles standard ONNX ops only)");
      for (const auto& a : node.attribute())
        if (a.has_g() || a.graphs_size() > 0)
          return unsupported("node " + label(node) + " has a subgraph (not handled by the fp16 conversion)");
      TM_RETURN_IF_ERROR(convert_node(node, nodes));
    }
    // Graph outputs: the fp16 value gets a new name and a Cast back to float32 produces the output's name.
    for (const auto& out : g.output()) {
      const std::string& name = out.name();
      if (precision_.count(name) == 0 || precision_[name] == kFloat) continue;
      const std::string inner = name + "_fp16";
      for (auto& n : nodes) {
        for (auto& o : *n.mutable_output())
          if (o == name) o = inner;
        for (auto& i : *n.mutable_input())
          if (i == name) i = inner;
      }
      *nodes.Add() = make_cast(inner, name, kFloat);
    }
    g.mutable_node()->Swap(&nodes);
    // Intermediate types changed; ONNX Runtime infers them again.
    g.clear_value_info();
    for (auto& t : new_initializers_) *g.add_initializer() = std::move(t);
    drop_unused_initializers(g);
    for (auto& t : *g.mutable_initializer())
      if (t.data_type() == kHalf) ++report_.converted_initializers;
    return report_;
  }

 private:
  static std::string label(const NodeProto& n) {
    return (n.name().empty() ? (n.output_size() ? n.output(0) : std::string("?")) : n.name()) + " (" + n.op_type() +
           ")";
  }

  NodeProto make_cast(const std::string& in, const std::string& out, int to) {
    NodeProto c;
    c.set_op_type("Cast");
    c.set_name(out + "_cast");
    c.add_input(in);
    c.add_output(out);
    auto* a = c.add_attribute();
    a->set_name("to");
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(to);
    ++report_.casts;
    return c;
  }

  // `value` (a float value) in precision `want`: itself, a shared Cast, or a converted initializer copy.
  Result<std::string> in_precision(const std::string& value, int want,
                                   google::protobuf::RepeatedPtrField<NodeProto>& nodes) {
    auto init = initializer_.find(value);
    int have = init != initializer_.end() ? kFloat : precision_[value];
    if (have == want) return value;
    const std::string name = value + (want == kHalf ? "_fp16" : "_fp32");
    if (made_.count(name)) return name;
    made_.insert(name);
    if (init != initializer_.end()) {
      TensorProto copy = *init->second;
      copy.set_name(name);
      TM_RETURN_IF_ERROR(convert_tensor(copy));
      new_initializers_.push_back(std::move(copy));
    } else {
      *nodes.Add() = make_cast(value, name, want);
    }
    return name;
  }

  Status convert_node(NodeProto& node, google::protobuf::RepeatedPtrField<NodeProto>& nodes) {
    const std::string& op = node.op_type();
    const bool fp32 = keep_.count(op) > 0;
    const int mode = fp32 ? kFloat : kHalf;
    int first_type = 0;
    for (int i = 0; i < node.input_size(); ++i) {
      const std::string& in = node.input(i);
      if (in.empty()) continue;
      int t = type_.count(in) ? type_[in] : 0;
      if (first_type == 0) first_type = t;
      if (op == "Where" && i == 1) first_type = t;
      // Cast takes any type; its `to` decides the output.
      if (t != kFloat || op == "Cast") continue;
      TM_ASSIGN_OR_RETURN(std::string name, in_precision(in, mode, nodes));
      node.set_input(i, name);
    }
    if (op == "Where" && node.input_size() > 1) first_type = type_.count(node.input(1)) ? type_[node.input(1)] : 0;
    int declared = attr_type(node);
    if (op == "ConstantOfShape" && declared == 0) declared = kFloat;  // its default value is a float32 0
    for (int i = 0; i < node.output_size(); ++i) {
      const std::string& out = node.output(i);
      int t = fixed_output_type(node, i);
      if (t == 0 && (op == "Cast" || op == "Constant" || op == "ConstantOfShape")) t = declared;
      if (t == 0 && declared != 0 && node.input_size() == 0) t = declared;  // RandomNormal, EyeLike, …
      if (t == 0) t = first_type;
      if (type_.count(out) && type_[out] != 0) t = type_[out];  // value_info, where given
      type_[out] = t;
      if (t == kFloat) precision_[out] = mode;
    }
    if (!fp32 && declared == kFloat) TM_RETURN_IF_ERROR(to_half_attributes(node));
    if (fp32)
      ++report_.fp32_nodes;
    else
      ++report_.fp16_nodes;
    *nodes.Add() = std::move(node);
    return {};
  }

  // An fp16 node whose attributes make float32 (Cast to, Constant value, ConstantOfShape value, dtype).
  Status to_half_attributes(NodeProto& node) {
    bool has_value = false;
    for (auto& a : *node.mutable_attribute()) {
      if (a.name() == "to" || a.name() == "dtype") a.set_i(kHalf);
      if (a.name() == "value" && a.has_t()) {
        has_value = true;
        TM_RETURN_IF_ERROR(convert_tensor(*a.mutable_t()));
      }
      if (a.name() == "value_float" || a.name() == "value_floats") {
        TensorProto t;
        if (a.name() == "value_float")
          t.add_float_data(a.f());
        else {
          t.add_dims(a.floats_size());
          for (float f : a.floats()) t.add_float_data(f);
        }
        t.set_data_type(kFloat);
        TM_RETURN_IF_ERROR(convert_tensor(t));
        a.set_name("value");
        a.set_type(onnx::AttributeProto::TENSOR);
        a.clear_f();
        a.clear_floats();
        *a.mutable_t() = std::move(t);
        has_value = true;
      }
    }
    if (node.op_type() == "ConstantOfShape" && !has_value) {
      auto* a = node.add_attribute();
      a->set_name("value");
      a->set_type(onnx::AttributeProto::TENSOR);
      TensorProto* t = a->mutable_t();
      t->set_data_type(kHalf);
      t->add_dims(1);
      t->set_raw_data(std::string(2, '\0'));
    }
    return {};
  }

  void drop_unused_initializers(onnx::GraphProto& g) {
    std::set<std::string> used;
    for (const auto& n : g.node())
      for (const auto& in : n.input()) used.insert(in);
    for (const auto& o : g.output()) used.insert(o.name());
    google::protobuf::RepeatedPtrField<TensorProto> kept;
    for (auto& t : *g.mutable_initializer())
      if (used.count(t.name())) *kept.Add() = std::move(t);
    g.mutable_initializer()->Swap(&kept);
  }

  onnx::ModelProto& model_;
  fs::path model_dir_;
  std::set<std::string> keep_;
  Float16Report report_;
  std::unordered_map<std::string, int> type_;       // element type in the fp32 model (0 = unknown)
  std::unordered_map<std::string, int> precision_;  // float values: kFloat or kHalf in the new graph
  std::unordered_map<std::string, TensorProto*> initializer_;
  std::vector<TensorProto> new_initializers_;
  std::set<std::string> made_;
};

}  // namespace

const std::vector<std::string>& default_fp32_ops() {
  // onnxconverter-common's DEFAULT_OP_BLOCK_LIST, then ops that overflow fp16's 65504 or lose too much:
  // powers, exponentials and roots (a decomposed LayerNorm's x², softmax's exp), reductions (sums of many
  // terms), the final Sigmoid (its probabilities are what the thresholds compare), Resize (its scales must
  // stay float32). LayerNormalization and Softmax stay fp16: ORT's CUDA kernels accumulate them in float32,
  // and casts around every attention matrix would cost more memory traffic than the softmax itself.
  static const std::vector<std::string> ops = {
      "ArrayFeatureExtractor", "Binarizer", "CastMap", "CategoryMapper", "DictVectorizer", "FeatureVectorizer",
      "Imputer", "LabelEncoder", "LinearClassifier", "LinearRegressor", "Normalizer", "OneHotEncoder",
      "RandomUniformLike", "SVMClassifier", "SVMRegressor", "Scaler", "TreeEnsembleClassifier", "TreeEnsembleRegressor",
      "ZipMap", "NonMaxSuppression", "TopK", "RoiAlign", "Range", "CumSum", "Min", "Max", "Upsample",
      // ours
      "Pow", "Exp", "Log", "Sqrt", "Reciprocal", "ReduceMean", "ReduceSum", "ReduceSumSquare", "ReduceL2",
      "ReduceLogSumExp", "Sigmoid", "Resize", "RandomNormal", "RandomUniform", "RandomNormalLike", "EyeLike"};
  return ops;
}

uint16_t float_to_half_bits(float f) {
  uint32_t x;
  std::memcpy(&x, &f, sizeof x);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000);
  const uint32_t mant = x & 0x7FFFFF;
  const int exp = static_cast<int>((x >> 23) & 0xFF);
  if (exp == 0xFF) return mant ? static_cast<uint16_t>(sign | 0x7E00) : static_cast<uint16_t>(sign | 0x7BFF);
  const int e = exp - 127 + 15;
  if (e >= 31) return static_cast<uint16_t>(sign | 0x7BFF);
  if (e <= 0) {  // float16 subnormal (or zero)
    if (e < -10) return sign;
    const uint32_t m = mant | 0x800000;
    const int shift = 14 - e;
    uint32_t h = m >> shift;
    const uint32_t rest = m & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rest > half || (rest == half && (h & 1))) ++h;
    return static_cast<uint16_t>(sign | h);
  }
  uint32_t h = (static_cast<uint32_t>(e) << 10) | (mant >> 13);
  const uint32_t rest = mant & 0x1FFF;
  if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) ++h;
  if (h >= 0x7C00) h = 0x7BFF;
  return static_cast<uint16_t>(sign | h);
}

Result<Float16Report> convert_to_float16(const fs::path& input, const fs::path& output, const Float16Params& params) {
  onnx::ModelProto model;
  uint64_t size = 0;
  TM_RETURN_IF_ERROR(read_onnx_model(input, output, model, size));
  Converter c(model, params, input.parent_path());
  Result<Float16Report> report = c.run();
  if (!report.ok()) return report.status().with_context(input.string());
  auto* meta = model.add_metadata_props();
  meta->set_key("tagmetry.precision");
  meta->set_value("fp16 (float32 inputs/outputs; " + std::to_string(report->fp32_nodes) + " nodes kept in fp32)");
  std::string out;
  if (!model.SerializeToString(&out)) return internal_error(output.string() + ": cannot serialise the model");
  TM_RETURN_IF_ERROR(write_file_atomic(output, out));
  report->input_bytes += size;  // the .onnx file plus the external weights read in
  report->output_bytes = out.size();
  return report;
}

}  // namespace tagmetry
