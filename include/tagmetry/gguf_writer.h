#pragma once
// A minimal GGUF (version 3) writer: key/value metadata and tensors, laid out as ggml's gguf.cpp reads
// them (little-endian, 32-byte alignment). Used by the safetensors -> GGUF conversion, the tests (tiny
// models) and the benchmarks (random-weights models). Not thread-safe; one writer per file.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "tagmetry/status.h"

namespace tagmetry {

// ggml tensor types this writer emits (ggml.h enum ggml_type values).
enum class GgufType : uint32_t { kF32 = 0, kF16 = 1, kQ8_0 = 8, kBF16 = 30 };

// Bytes per element of `type`; 0 for a block type (Q8_0: use gguf_tensor_bytes).
int gguf_type_size(GgufType type);
// Bytes of a tensor of `n` elements of `type` (Q8_0: n / 32 blocks of 34 bytes; n must be a multiple of 32).
uint64_t gguf_tensor_bytes(GgufType type, uint64_t n);
// Appends `n` floats (a multiple of 32) as ggml's block_q8_0: per 32 values one fp16 scale
// d = max|x| / 127, then 32 int8 round(x / d), as ggml's quantize_row_q8_0_ref.
void append_q8_0(std::string& out, const float* x, size_t n);

class GgufWriter {
 public:
  void add_string(std::string key, std::string value);
  void add_u32(std::string key, uint32_t value);
  void add_f32(std::string key, float value);
  void add_bool(std::string key, bool value);
  // Arrays (a vocabulary: tokenizer.ggml.tokens / scores / token_type).
  void add_string_array(std::string key, const std::vector<std::string>& values);
  void add_f32_array(std::string key, const std::vector<float>& values);
  void add_i32_array(std::string key, const std::vector<int32_t>& values);

  // Declares a tensor. `ne` is in ggml order (innermost first: a [rows x cols] row-major matrix has
  // ne = {cols, rows}). `fill` appends exactly nelements x gguf_type_size(type) bytes to its argument;
  // it is called once, while write() streams the file.
  // Appends gguf_tensor_bytes(type, nelements) bytes for a block type.
  void add_tensor(std::string name, std::vector<int64_t> ne, GgufType type,
                  std::function<void(std::string&)> fill);

  // Writes the file atomically (temp + rename). Returns its size. kIo names the path; kInternal when a
  // fill produced the wrong number of bytes.
  Result<uint64_t> write(const std::filesystem::path& path) const;

  size_t tensor_count() const { return tensors_.size(); }

 private:
  struct Kv {
    std::string key;
    uint32_t type;
    std::string bytes;  // encoded value
  };
  struct Tensor {
    std::string name;
    std::vector<int64_t> ne;
    GgufType type;
    std::function<void(std::string&)> fill;
    uint64_t nbytes;
  };
  std::vector<Kv> kv_;
  std::vector<Tensor> tensors_;
};

}  // namespace tagmetry
