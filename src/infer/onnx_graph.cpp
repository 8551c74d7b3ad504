// A minimal reader of the ONNX protobuf (onnx.proto3): just enough to name the op that produces the
// graph output and read the model's declared output kind (metadata_props). The file is memory-mapped and weights (initializers) are skipped by length, so even a
// 1 GB model costs only a page walk. Field numbers follow onnx/onnx.proto (ModelProto.graph = 7, …).
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <string_view>
#include <utility>

#include "tagmetry/infer.h"

namespace tagmetry {
namespace {

class Reader {
 public:
  Reader(const uint8_t* p, size_t n) : p_(p), end_(p + n) {}
  bool done() const { return p_ >= end_; }
  bool varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64 && p_ < end_; shift += 7) {
      uint8_t b = *p_++;
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  }
  // Reads a field header; returns false on malformed data.
  bool field(uint32_t& number, uint32_t& wire) {
    uint64_t key;
    if (!varint(key)) return false;
    number = static_cast<uint32_t>(key >> 3);
    wire = static_cast<uint32_t>(key & 7);
    return number != 0;
  }
  bool bytes(std::string_view& out) {
    uint64_t len;
    if (!varint(len) || len > static_cast<uint64_t>(end_ - p_)) return false;
    out = std::string_view(reinterpret_cast<const char*>(p_), len);
    p_ += len;
    return true;
  }
  bool skip(uint32_t wire) {
    uint64_t v;
    std::string_view s;
    switch (wire) {
      case 0: return varint(v);
      case 1: if (end_ - p_ < 8) return false; p_ += 8; return true;
      case 2: return bytes(s);
      case 5: if (end_ - p_ < 4) return false; p_ += 4; return true;
      default: return false;
    }
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

Reader reader_of(std::string_view s) { return Reader(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }

struct Node {
  std::string op;
  std::vector<std::string> inputs;
};

bool parse_node(std::string_view bytes, Node& node, std::vector<std::string>& outputs) {
  Reader r = reader_of(bytes);
  while (!r.done()) {
    uint32_t n, w;
    if (!r.field(n, w)) return false;
    std::string_view s;
    if (w == 2 && (n == 1 || n == 2 || n == 4)) {
      if (!r.bytes(s)) return false;
      if (n == 1) node.inputs.emplace_back(s);
      else if (n == 2) outputs.emplace_back(s);
      else node.op = std::string(s);
    } else if (!r.skip(w)) {
      return false;
    }
  }
  return true;
}

std::string value_info_name(std::string_view bytes) {
  Reader r = reader_of(bytes);
  while (!r.done()) {
    uint32_t n, w;
    if (!r.field(n, w)) return {};
    std::string_view s;
    if (n == 1 && w == 2) {
      if (!r.bytes(s)) return {};
      return std::string(s);
    }
    if (!r.skip(w)) return {};
  }
  return {};
}

// A StringStringEntryProto (key = 1, value = 2).
std::pair<std::string, std::string> metadata_entry(std::string_view bytes) {
  std::pair<std::string, std::string> kv;
  Reader r = reader_of(bytes);
  while (!r.done()) {
    uint32_t n, w;
    if (!r.field(n, w)) break;
    std::string_view s;
    if (w == 2 && (n == 1 || n == 2)) {
      if (!r.bytes(s)) break;
      (n == 1 ? kv.first : kv.second) = std::string(s);
    } else if (!r.skip(w)) {
      break;
    }
  }
  return kv;
}

}  // namespace

const char* output_kind_name(OutputKind kind) {
  return kind == OutputKind::kProbabilities ? "probabilities" : "logits";
}

Result<GraphSummary> inspect_onnx_graph(const std::filesystem::path& model) {
  const std::string name = model.string();
  int fd = ::open(model.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return not_found(name + ": cannot open model file");
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size == 0) {
    ::close(fd);
    return model_error(name + ": empty model file");
  }
  size_t size = static_cast<size_t>(st.st_size);
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return io_error(name + ": cannot map model file");
  struct Unmap {
    void* p;
    size_t n;
    ~Unmap() { ::munmap(p, n); }
  } unmap{map, size};

  GraphSummary summary;
  std::string declared_output;  // metadata tagmetry.output
  bool declared = false;
  std::string_view graph;
  Reader r(static_cast<const uint8_t*>(map), size);
  bool have_graph = false;
  while (!r.done()) {
    uint32_t n, w;
    if (!r.field(n, w)) return model_error(name + ": not an ONNX model (truncated or malformed protobuf)");
    if (n == 1 && w == 0) {
      uint64_t v;
      if (!r.varint(v)) return model_error(name + ": malformed ONNX header");
      summary.ir_version = static_cast<int64_t>(v);
    } else if (n == 7 && w == 2) {
      if (!r.bytes(graph)) return model_error(name + ": not an ONNX model (truncated graph)");
      have_graph = true;
    } else if (n == 14 && w == 2) {
      std::string_view entry;
      if (!r.bytes(entry)) return model_error(name + ": malformed ONNX metadata");
      auto [key, value] = metadata_entry(entry);
      if (key == kOutputKindMetadataKey) declared_output = value, declared = true;
    } else if (n == 8 && w == 2) {
      std::string_view opset;
      if (!r.bytes(opset)) return model_error(name + ": malformed opset");
      Reader o = reader_of(opset);
      std::string domain;
      int64_t version = 0;
      while (!o.done()) {
        uint32_t on, ow;
        if (!o.field(on, ow)) break;
        std::string_view s;
        uint64_t v;
        if (on == 1 && ow == 2 && o.bytes(s)) domain = std::string(s);
        else if (on == 2 && ow == 0 && o.varint(v)) version = static_cast<int64_t>(v);
        else if (!o.skip(ow)) break;
      }
      if (domain.empty() || domain == "ai.onnx") summary.opset = version;
    } else if (!r.skip(w)) {
      return model_error(name + ": not an ONNX model (truncated or malformed protobuf)");
    }
  }
  if (!have_graph || summary.ir_version == 0) return model_error(name + ": not an ONNX model (no graph)");

  std::map<std::string, Node> producer;  // output name → node
  std::vector<std::string> graph_outputs;
  Reader g = reader_of(graph);
  while (!g.done()) {
    uint32_t n, w;
    if (!g.field(n, w)) return model_error(name + ": malformed ONNX graph");
    std::string_view s;
    if (n == 1 && w == 2) {
      if (!g.bytes(s)) return model_error(name + ": malformed ONNX node");
      Node node;
      std::vector<std::string> outs;
      if (!parse_node(s, node, outs)) return model_error(name + ": malformed ONNX node");
      ++summary.node_count;
      for (auto& o : outs) producer[o] = node;
    } else if (n == 12 && w == 2) {
      if (!g.bytes(s)) return model_error(name + ": malformed ONNX output");
      graph_outputs.push_back(value_info_name(s));
    } else if (!g.skip(w)) {
      return model_error(name + ": malformed ONNX graph");
    }
  }
  if (!graph_outputs.empty()) {
    std::string current = graph_outputs.front();
    for (int hops = 0; hops < 8; ++hops) {
      auto it = producer.find(current);
      if (it == producer.end()) break;
      const Node& node = it->second;
      summary.output_op = node.op;
      static const char* kPassThrough[] = {"Identity", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Cast"};
      bool pass = false;
      for (auto* p : kPassThrough) pass = pass || node.op == p;
      if (!pass || node.inputs.empty()) break;
      current = node.inputs.front();
    }
    summary.output_is_sigmoid = summary.output_op == "Sigmoid";
  }
  if (declared) {
    if (declared_output == "probabilities") summary.output_kind = OutputKind::kProbabilities;
    else if (declared_output != "logits")
      return model_error(name + ": metadata " + kOutputKindMetadataKey + " is '" + declared_output +
                         "'; expected 'logits' or 'probabilities'");
    summary.output_kind_source = std::string("metadata ") + kOutputKindMetadataKey + "=" + declared_output;
  } else {
    const bool squashed = summary.output_op == "Sigmoid" || summary.output_op == "Softmax";
    summary.output_kind = squashed ? OutputKind::kProbabilities : OutputKind::kLogits;
    summary.output_kind_source = "output from " + (summary.output_op.empty() ? std::string("?") : summary.output_op);
  }
  return summary;
}

}  // namespace tagmetry
