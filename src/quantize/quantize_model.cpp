// Dynamic int8 quantization over the ONNX protobuf (Debian's libonnx-dev): each MatMul/Gemm whose weight
// is a constant 2-D float32 matrix becomes DynamicQuantizeMatMul (com.microsoft) or the standard
// DynamicQuantizeLinear + MatMulInteger + Cast + Mul (+ Add) sequence, with symmetric per-column int8
// weights. The node layout follows ONNX Runtime's own quantize_dynamic (onnxruntime/python/tools/
// quantization, 2025) so that ORT's graph optimiser recognises and fuses the standard form.

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>

#include "tagmetry/files.h"
#include "tagmetry/quantize.h"
#include "model_io.h"

namespace tagmetry {
namespace {

namespace fs = std::filesystem;
using onnx::NodeProto;
using onnx::TensorProto;

// Reads the float32 contents of an initializer, or explains why it cannot.
Result<std::vector<float>> float_values(const TensorProto& t) {
  if (t.data_type() != TensorProto::FLOAT) return unsupported("weight is not float32");
  if (t.data_location() == TensorProto::EXTERNAL) return unsupported("weight is stored in external data");
  int64_t n = 1;
  for (int64_t d : t.dims()) n *= d;
  std::vector<float> v(static_cast<size_t>(n));
  if (t.has_raw_data()) {
    if (t.raw_data().size() != v.size() * sizeof(float)) return corrupt("weight's raw data has the wrong size");
    std::memcpy(v.data(), t.raw_data().data(), t.raw_data().size());  // little-endian, as ONNX stores it
  } else if (t.float_data_size() == n) {
    std::copy(t.float_data().begin(), t.float_data().end(), v.begin());
  } else {
    return corrupt("weight's float data has the wrong size");
  }
  return v;
}

TensorProto make_tensor(const std::string& name, int type, std::vector<int64_t> dims, const void* data,
                        size_t bytes) {
  TensorProto t;
  t.set_name(name);
  t.set_data_type(type);
  for (int64_t d : dims) t.add_dims(d);
  t.set_raw_data(std::string(static_cast<const char*>(data), bytes));
  return t;
}

const onnx::AttributeProto* find_attr(const NodeProto& n, const std::string& name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

int64_t attr_int(const NodeProto& n, const std::string& name, int64_t def) {
  const auto* a = find_attr(n, name);
  return a ? a->i() : def;
}

float attr_float(const NodeProto& n, const std::string& name, float def) {
  const auto* a = find_attr(n, name);
  return a ? a->f() : def;
}

// Counts how often each value name is consumed (nodes of every subgraph included) or is a graph output.
void count_uses(const onnx::GraphProto& g, std::unordered_map<std::string, int>& uses) {
  for (const auto& n : g.node()) {
    for (const auto& in : n.input()) ++uses[in];
    for (const auto& a : n.attribute()) {
      if (a.has_g()) count_uses(a.g(), uses);
      for (const auto& sg : a.graphs()) count_uses(sg, uses);
    }
  }
  for (const auto& o : g.output()) ++uses[o.name()];
}

// One MatMul/Gemm to rewrite: its weight as a [K, N] matrix, the per-column multiplier folded from Gemm's
// alpha, and the bias (from Gemm's C or a following Add), if any.
struct Candidate {
  int node_index = -1;
  int bias_add_index = -1;  // a following Add folded into the bias, or -1
  std::string weight_name;
  int64_t k = 0, n = 0;
  std::vector<float> weight;  // row-major [K, N]
  float alpha = 1.0f;
  std::vector<float> bias;    // empty, or N values
  std::string output;         // the value the rewritten node produces
};

class Quantizer {
 public:
  Quantizer(onnx::ModelProto& model, const QuantizeParams& params) : model_(model), params_(params) {}

  Result<QuantizeReport> run() {
    onnx::GraphProto& g = *model_.mutable_graph();
    for (int i = 0; i < g.initializer_size(); ++i) inits_[g.initializer(i).name()] = i;
    for (const auto& in : g.input()) graph_inputs_.insert(in.name());
    count_uses(g, uses_);
    for (int i = 0; i < g.node_size(); ++i)
      for (const auto& o : g.node(i).output()) producer_index_[o] = i;
    for (int i = 0; i < g.node_size(); ++i)
      for (const auto& in : g.node(i).input()) consumers_[in].push_back(i);

    std::vector<Candidate> todo;
    for (int i = 0; i < g.node_size(); ++i) {
      const NodeProto& node = g.node(i);
      if ((node.op_type() != "MatMul" && node.op_type() != "Gemm") || !node.domain().empty()) continue;
      Candidate c;
      std::string reason = examine(g, i, c);
      if (!reason.empty()) {
        report_.kept_fp32.push_back({display_name(node), node.op_type(), reason});
        continue;
      }
      todo.push_back(std::move(c));
    }
    if (!todo.empty()) rewrite(g, todo);
    return report_;
  }

 private:
  static std::string first_output(const NodeProto& n) { return n.output_size() ? n.output(0) : std::string(); }
  static std::string display_name(const NodeProto& n) { return n.name().empty() ? first_output(n) : n.name(); }

  // Returns "" when node i can be quantized (filling c), else why not.
  std::string examine(const onnx::GraphProto& g, int i, Candidate& c) {
    const NodeProto& node = g.node(i);
    for (const auto& ex : params_.exclude_nodes)
      if (ex == node.name() || ex == first_output(node)) return "excluded (--exclude)";
    if (node.input_size() < 2 || node.output_size() != 1) return "unexpected inputs or outputs";
    const std::string& w = node.input(1);
    auto it = inits_.find(w);
    if (it == inits_.end()) return "weight (input B) is computed at run time, not a constant";
    if (graph_inputs_.count(w)) return "weight is also a graph input (a caller may override it)";
    const TensorProto& t = g.initializer(it->second);
    if (t.dims_size() != 2) return "weight is not a 2-D matrix";
    int64_t rows = t.dims(0), cols = t.dims(1);
    if (rows * cols < params_.min_weight_elements)
      return "weight too small (" + std::to_string(rows) + "x" + std::to_string(cols) + ")";
    auto values = float_values(t);
    if (!values.ok()) return values.status().message();
    for (float v : *values)
      if (!std::isfinite(v)) return "weight has NaN or infinite values";
    c.node_index = i;
    c.weight_name = w;
    c.output = node.output(0);
    if (node.op_type() == "Gemm") {
      if (attr_int(node, "transA", 0) != 0) return "Gemm with transA=1 (the activation is transposed)";
      bool trans_b = attr_int(node, "transB", 0) != 0;
      c.k = trans_b ? cols : rows;
      c.n = trans_b ? rows : cols;
      c.weight.resize(values->size());
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t col = 0; col < cols; ++col)
          c.weight[trans_b ? col * rows + r : r * cols + col] = (*values)[r * cols + col];
      c.alpha = attr_float(node, "alpha", 1.0f);
      if (node.input_size() > 2 && !node.input(2).empty()) {
        std::string why = gemm_bias(g, node.input(2), attr_float(node, "beta", 1.0f), c);
        if (!why.empty()) return why;
      }
    } else {
      c.k = rows;
      c.n = cols;
      c.weight = std::move(*values);
      fold_following_add(g, c);
    }
    return "";
  }

  std::string gemm_bias(const onnx::GraphProto& g, const std::string& name, float beta, Candidate& c) {
    auto it = inits_.find(name);
    if (it == inits_.end()) return "Gemm bias (input C) is computed at run time";
    const TensorProto& t = g.initializer(it->second);
    int64_t count = 1;
    for (int64_t d : t.dims()) count *= d;
    bool per_column = count == c.n && (t.dims_size() == 1 || (t.dims_size() == 2 && t.dims(0) == 1));
    if (count != 1 && !per_column) return "Gemm bias (input C) is not a per-column vector";
    auto v = float_values(t);
    if (!v.ok()) return "Gemm bias: " + v.status().message();
    c.bias.assign(static_cast<size_t>(c.n), 0.0f);
    for (int64_t j = 0; j < c.n; ++j) c.bias[j] = beta * (*v)[count == 1 ? 0 : j];
    return "";
  }

  // MatMul → Add(constant [N]) with the MatMul's output used only there: the Add becomes the bias.
  void fold_following_add(const onnx::GraphProto& g, Candidate& c) {
    const std::string& y = c.output;
    auto cons = consumers_.find(y);
    if (uses_[y] != 1 || cons == consumers_.end() || cons->second.size() != 1) return;
    const NodeProto& add = g.node(cons->second[0]);
    if (add.op_type() != "Add" || !add.domain().empty() || add.input_size() != 2) return;
    const std::string& other = add.input(0) == y ? add.input(1) : add.input(0);
    auto it = inits_.find(other);
    if (it == inits_.end() || graph_inputs_.count(other)) return;
    const TensorProto& t = g.initializer(it->second);
    if (t.dims_size() != 1 || t.dims(0) != c.n) return;
    auto v = float_values(t);
    if (!v.ok()) return;
    c.bias = std::move(*v);
    c.bias_add_index = cons->second[0];
    c.output = add.output(0);
  }

  std::string unique_name(const std::string& base) {
    std::string name = base;
    for (int i = 2; inits_.count(name) || uses_.count(name) || producer_index_.count(name); ++i)
      name = base + "_" + std::to_string(i);
    inits_[name] = -1;  // reserved
    return name;
  }

  // Per-column symmetric quantization: scale_j = max_k |W[k,j]| / qmax, q = round(W / scale).
  void quantize_weight(const Candidate& c, std::vector<int8_t>& q, std::vector<float>& scale) const {
    const float qmax = params_.weight_bits == 7 ? 63.0f : 127.0f;
    std::vector<float> amax(static_cast<size_t>(c.n), 0.0f);
    for (int64_t r = 0; r < c.k; ++r)
      for (int64_t j = 0; j < c.n; ++j) amax[j] = std::max(amax[j], std::fabs(c.weight[r * c.n + j]));
    scale.resize(static_cast<size_t>(c.n));
    for (int64_t j = 0; j < c.n; ++j) scale[j] = amax[j] > 0 ? amax[j] / qmax : 1.0f;
    q.resize(c.weight.size());
    for (int64_t r = 0; r < c.k; ++r)
      for (int64_t j = 0; j < c.n; ++j) {
        float v = std::nearbyint(c.weight[r * c.n + j] / scale[j]);
        q[r * c.n + j] = static_cast<int8_t>(std::clamp(v, -qmax, qmax));
      }
    for (auto& s : scale) s *= c.alpha;  // Gemm's alpha scales the product
  }

  void rewrite(onnx::GraphProto& g, const std::vector<Candidate>& todo) {
    const bool fused = params_.format == "fused";
    std::map<int, std::vector<NodeProto>> replacement;  // node index → nodes replacing it
    std::set<int> removed;
    std::vector<TensorProto> new_inits;
    for (const Candidate& c : todo) {
      NodeProto old = g.node(c.node_index);
      std::vector<int8_t> q;
      std::vector<float> scale;
      quantize_weight(c, q, scale);
      std::string base = c.weight_name;
      std::string wq = unique_name(base + "_quantized");
      std::string ws = unique_name(base + "_scale");
      new_inits.push_back(make_tensor(wq, TensorProto::INT8, {c.k, c.n}, q.data(), q.size()));
      new_inits.push_back(make_tensor(ws, TensorProto::FLOAT, {c.n}, scale.data(), scale.size() * 4));
      std::string bias_name;
      if (!c.bias.empty()) {
        bias_name = unique_name(base + "_bias");
        new_inits.push_back(make_tensor(bias_name, TensorProto::FLOAT, {c.n}, c.bias.data(), c.bias.size() * 4));
      }
      std::string name = display_name(old);
      std::vector<NodeProto>& out = replacement[c.node_index];
      auto add = [&](const std::string& op, std::vector<std::string> ins, std::vector<std::string> outs,
                     const std::string& suffix, const std::string& domain = "") {
        NodeProto& n = out.emplace_back();
        n.set_op_type(op);
        n.set_name(name + suffix);
        if (!domain.empty()) n.set_domain(domain);
        for (auto& s : ins) n.add_input(s);
        for (auto& s : outs) n.add_output(s);
        return &n;
      };
      if (fused) {
        add("DynamicQuantizeMatMul", {old.input(0), wq, ws, "", bias_name}, {c.output}, "_quant", "com.microsoft");
        if (bias_name.empty()) out.back().mutable_input()->RemoveLast(), out.back().mutable_input()->RemoveLast();
      } else {
        std::string p = unique_name(name + "_quant");
        add("DynamicQuantizeLinear", {old.input(0)}, {p + "_a", p + "_a_scale", p + "_a_zero_point"}, "_quantize_a");
        add("MatMulInteger", {p + "_a", wq, p + "_a_zero_point"}, {p + "_int32"}, "_quant");
        auto* cast = add("Cast", {p + "_int32"}, {p + "_float"}, "_cast");
        auto* to = cast->add_attribute();
        to->set_name("to");
        to->set_type(onnx::AttributeProto::INT);
        to->set_i(TensorProto::FLOAT);
        add("Mul", {p + "_a_scale", ws}, {p + "_scale"}, "_scale");
        std::string mul_out = bias_name.empty() ? c.output : p + "_scaled";
        add("Mul", {p + "_float", p + "_scale"}, {mul_out}, "_mul");
        if (!bias_name.empty()) add("Add", {mul_out, bias_name}, {c.output}, "_bias");
      }
      if (c.bias_add_index >= 0) removed.insert(c.bias_add_index);
      report_.quantized_nodes.push_back(name);
      report_.quantized_weights += c.k * c.n;
    }
    // Rebuild the node list in order; rewritten nodes sit where the MatMul/Gemm was (their inputs are
    // produced earlier, and a folded Add's only other input is a constant).
    google::protobuf::RepeatedPtrField<NodeProto> nodes;
    for (int i = 0; i < g.node_size(); ++i) {
      if (removed.count(i)) continue;
      auto r = replacement.find(i);
      if (r == replacement.end()) *nodes.Add() = g.node(i);
      else
        for (auto& n : r->second) *nodes.Add() = std::move(n);
    }
    g.mutable_node()->Swap(&nodes);
    drop_unused_initializers(g);
    for (auto& t : new_inits) *g.add_initializer() = std::move(t);
  }

  void drop_unused_initializers(onnx::GraphProto& g) {
    std::unordered_map<std::string, int> uses;
    count_uses(g, uses);
    google::protobuf::RepeatedPtrField<TensorProto> kept;
    for (auto& t : *g.mutable_initializer())
      if (uses.count(t.name()) || graph_inputs_.count(t.name())) *kept.Add() = std::move(t);
    g.mutable_initializer()->Swap(&kept);
  }

  onnx::ModelProto& model_;
  const QuantizeParams& params_;
  QuantizeReport report_;
  std::unordered_map<std::string, int> inits_, uses_, producer_index_;
  std::unordered_map<std::string, std::vector<int>> consumers_;
  std::set<std::string> graph_inputs_;
};

int64_t default_opset(const onnx::ModelProto& m) {
  for (const auto& o : m.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") return o.version();
  return 0;
}

Status check_params(const QuantizeParams& p) {
  if (p.format != "fused" && p.format != "onnx")
    return invalid_argument("--format: '" + p.format + "' is not one of fused, onnx");
  if (p.weight_bits != 7 && p.weight_bits != 8)
    return invalid_argument("--weight-bits: " + std::to_string(p.weight_bits) + " is not 7 or 8");
  if (p.min_weight_elements < 0) return invalid_argument("--min-weights must be >= 0");
  return {};
}

}  // namespace

Result<QuantizeReport> quantize_model(const fs::path& input, const fs::path& output, const QuantizeParams& params) {
  TM_RETURN_IF_ERROR(check_params(params));
  const std::string in_name = input.string();
  onnx::ModelProto model;
  uint64_t size = 0;
  TM_RETURN_IF_ERROR(read_onnx_model(input, output, model, size));
  if (params.format == "onnx" && default_opset(model) < 11)
    return unsupported(in_name + ": --format onnx needs opset >= 11 (the model has " +
                       std::to_string(default_opset(model)) + "); use --format fused");

  Quantizer q(model, params);
  TM_ASSIGN_OR_RETURN(QuantizeReport report, q.run());
  if (!report.quantized_nodes.empty()) {
    bool has_ms = false;
    for (const auto& o : model.opset_import()) has_ms = has_ms || o.domain() == "com.microsoft";
    if (params.format == "fused" && !has_ms) {
      auto* o = model.add_opset_import();
      o->set_domain("com.microsoft");
      o->set_version(1);
    }
    auto* meta = model.add_metadata_props();
    meta->set_key("tagmetry.quantization");
    meta->set_value("dynamic int8, per-column " + std::to_string(params.weight_bits) + "-bit weights, " +
                    std::to_string(report.quantized_nodes.size()) + " MatMul/Gemm, format " + params.format);
  }
  std::string out;
  if (!model.SerializeToString(&out)) return internal_error(output.string() + ": cannot serialise the model");
  TM_RETURN_IF_ERROR(write_file_atomic(output, out));
  report.input_bytes = size;
  report.output_bytes = out.size();
  return report;
}

}  // namespace tagmetry
