#pragma once
// Read-only view of a .safetensors file (8-byte little-endian header length, JSON header, raw data),
// memory-mapped. Private to src/llm.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "tagmetry/status.h"

namespace tagmetry {

struct SafetensorsTensor {
  std::string dtype;           // "F32", "F16", "BF16", ...
  std::vector<int64_t> shape;  // row-major, outermost first
  const uint8_t* data = nullptr;
  uint64_t nbytes = 0;
};

class SafetensorsFile {
 public:
  SafetensorsFile() = default;
  SafetensorsFile(SafetensorsFile&&) noexcept;
  SafetensorsFile& operator=(SafetensorsFile&&) noexcept;
  ~SafetensorsFile();

  // Maps `path` and validates the header (offsets inside the file, sizes matching dtype x shape).
  static Result<SafetensorsFile> open(const std::filesystem::path& path);

  const std::map<std::string, SafetensorsTensor>& tensors() const { return tensors_; }
  const SafetensorsTensor* find(const std::string& name) const;

 private:
  void* map_ = nullptr;
  size_t size_ = 0;
  std::map<std::string, SafetensorsTensor> tensors_;
};

// Bytes per element of a safetensors dtype, or 0 when unknown.
int safetensors_dtype_size(const std::string& dtype);

}  // namespace tagmetry
