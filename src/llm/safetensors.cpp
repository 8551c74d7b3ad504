#include "safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <utility>

namespace tagmetry {

int safetensors_dtype_size(const std::string& dtype) {
  if (dtype == "F32" || dtype == "I32" || dtype == "U32") return 4;
  if (dtype == "F16" || dtype == "BF16" || dtype == "I16") return 2;
  if (dtype == "F64" || dtype == "I64") return 8;
  if (dtype == "I8" || dtype == "U8" || dtype == "BOOL") return 1;
  return 0;
}

SafetensorsFile::SafetensorsFile(SafetensorsFile&& o) noexcept
    : map_(std::exchange(o.map_, nullptr)), size_(std::exchange(o.size_, 0)), tensors_(std::move(o.tensors_)) {}

SafetensorsFile& SafetensorsFile::operator=(SafetensorsFile&& o) noexcept {
  if (this != &o) {
    if (map_) munmap(map_, size_);
    map_ = std::exchange(o.map_, nullptr);
    size_ = std::exchange(o.size_, 0);
    tensors_ = std::move(o.tensors_);
  }
  return *this;
}

SafetensorsFile::~SafetensorsFile() {
  if (map_) munmap(map_, size_);
}

const SafetensorsTensor* SafetensorsFile::find(const std::string& name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

Result<SafetensorsFile> SafetensorsFile::open(const std::filesystem::path& path) {
  const std::string p = path.string();
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? not_found(p + ": no such file") : io_error(p + ": " + std::strerror(errno));
  struct stat st {};
  if (fstat(fd, &st) != 0 || st.st_size < 8) {
    ::close(fd);
    return corrupt(p + ": not a safetensors file (shorter than its 8-byte header length)");
  }
  SafetensorsFile f;
  f.size_ = static_cast<size_t>(st.st_size);
  void* m = mmap(nullptr, f.size_, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (m == MAP_FAILED) return io_error(p + ": cannot map: " + std::strerror(errno));
  f.map_ = m;
  const auto* base = static_cast<const uint8_t*>(m);
  uint64_t header_len = 0;
  std::memcpy(&header_len, base, 8);  // little-endian on every platform we build for
  if (header_len > f.size_ - 8) return corrupt(p + ": safetensors header length " + std::to_string(header_len) + " exceeds the file");
  auto j = nlohmann::json::parse(base + 8, base + 8 + header_len, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return corrupt(p + ": safetensors header is not a JSON object");
  const uint8_t* data = base + 8 + header_len;
  const uint64_t data_size = f.size_ - 8 - header_len;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == "__metadata__") continue;
    const auto& v = it.value();
    SafetensorsTensor t;
    t.dtype = v.value("dtype", "");
    auto shape = v.value("shape", nlohmann::json::array());
    auto off = v.value("data_offsets", nlohmann::json::array());
    if (!shape.is_array() || !off.is_array() || off.size() != 2)
      return corrupt(p + ": tensor '" + it.key() + "' has no shape/data_offsets");
    uint64_t n = 1;
    for (auto& d : shape) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0) return corrupt(p + ": tensor '" + it.key() + "' has a bad shape");
      t.shape.push_back(d.get<int64_t>());
      n *= static_cast<uint64_t>(d.get<int64_t>());
    }
    uint64_t b = off[0].get<uint64_t>(), e = off[1].get<uint64_t>();
    int es = safetensors_dtype_size(t.dtype);
    if (es == 0) return unsupported(p + ": tensor '" + it.key() + "' has dtype " + t.dtype);
    if (e < b || e > data_size) return corrupt(p + ": tensor '" + it.key() + "' lies outside the file (truncated?)");
    if (e - b != n * es) return corrupt(p + ": tensor '" + it.key() + "' size does not match its shape");
    t.data = data + b;
    t.nbytes = e - b;
    f.tensors_.emplace(it.key(), std::move(t));
  }
  return f;
}

}  // namespace tagmetry
