#include "tagmetry/gguf_writer.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <system_error>

namespace tagmetry {
namespace {

constexpr uint64_t kAlignment = 32;  // GGUF_DEFAULT_ALIGNMENT
// gguf_type values (ggml gguf.h).
constexpr uint32_t kGgufU32 = 4, kGgufI32 = 5, kGgufF32 = 6, kGgufBool = 7, kGgufString = 8, kGgufArray = 9;

template <class T>
void put(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out.append(b, sizeof(T));
}
void put_string(std::string& out, const std::string& s) {
  put<uint64_t>(out, s.size());
  out += s;
}
uint64_t pad_to(uint64_t n) { return (n + kAlignment - 1) / kAlignment * kAlignment; }

}  // namespace

int gguf_type_size(GgufType type) {
  switch (type) {
    case GgufType::kF32: return 4;
    case GgufType::kF16:
    case GgufType::kBF16: return 2;
    case GgufType::kQ8_0: return 0;
  }
  return 0;
}

uint64_t gguf_tensor_bytes(GgufType type, uint64_t n) {
  if (type == GgufType::kQ8_0) return n / 32 * 34;
  return n * static_cast<uint64_t>(gguf_type_size(type));
}

namespace {
// IEEE half from float, round to nearest even (normal and subnormal range; Q8_0 scales are small positives).
uint16_t to_fp16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint32_t sign = (x >> 16) & 0x8000u;
  x &= 0x7fffffffu;
  if (x >= 0x47800000u) return static_cast<uint16_t>(sign | (x > 0x7f800000u ? 0x7e00u : 0x7c00u));
  if (x < 0x38800000u) {  // subnormal half (or zero)
    float a;
    std::memcpy(&a, &x, 4);
    return static_cast<uint16_t>(sign | static_cast<uint32_t>(std::nearbyint(a * 16777216.0f)));
  }
  const uint32_t mant_odd = (x >> 13) & 1u;
  x += 0xfffu + mant_odd;  // round to nearest even on the 13 dropped bits
  return static_cast<uint16_t>(sign | ((x - 0x38000000u) >> 13));
}
}  // namespace

void append_q8_0(std::string& out, const float* x, size_t n) {
  for (size_t b = 0; b + 32 <= n; b += 32) {
    float amax = 0;
    for (size_t i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(x[b + i]));
    const float d = amax / 127.0f;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    put<uint16_t>(out, to_fp16(d));
    for (size_t i = 0; i < 32; ++i) out.push_back(static_cast<char>(static_cast<int8_t>(std::round(x[b + i] * id))));
  }
}

void GgufWriter::add_string(std::string key, std::string value) {
  std::string b;
  put_string(b, value);
  kv_.push_back({std::move(key), kGgufString, std::move(b)});
}
void GgufWriter::add_u32(std::string key, uint32_t value) {
  std::string b;
  put(b, value);
  kv_.push_back({std::move(key), kGgufU32, std::move(b)});
}
void GgufWriter::add_f32(std::string key, float value) {
  std::string b;
  put(b, value);
  kv_.push_back({std::move(key), kGgufF32, std::move(b)});
}
void GgufWriter::add_string_array(std::string key, const std::vector<std::string>& values) {
  std::string b;
  put(b, kGgufString);
  put<uint64_t>(b, values.size());
  for (auto& v : values) put_string(b, v);
  kv_.push_back({std::move(key), kGgufArray, std::move(b)});
}
void GgufWriter::add_f32_array(std::string key, const std::vector<float>& values) {
  std::string b;
  put(b, kGgufF32);
  put<uint64_t>(b, values.size());
  for (float v : values) put(b, v);
  kv_.push_back({std::move(key), kGgufArray, std::move(b)});
}
void GgufWriter::add_i32_array(std::string key, const std::vector<int32_t>& values) {
  std::string b;
  put(b, kGgufI32);
  put<uint64_t>(b, values.size());
  for (int32_t v : values) put(b, v);
  kv_.push_back({std::move(key), kGgufArray, std::move(b)});
}
void GgufWriter::add_bool(std::string key, bool value) {
  std::string b;
  put<uint8_t>(b, value ? 1 : 0);
  kv_.push_back({std::move(key), kGgufBool, std::move(b)});
}

void GgufWriter::add_tensor(std::string name, std::vector<int64_t> ne, GgufType type,
                            std::function<void(std::string&)> fill) {
  uint64_t n = 1;
  for (int64_t d : ne) n *= static_cast<uint64_t>(d);
  tensors_.push_back({std::move(name), std::move(ne), type, std::move(fill), gguf_tensor_bytes(type, n)});
}

Result<uint64_t> GgufWriter::write(const std::filesystem::path& path) const {
  std::string head;
  head += "GGUF";
  put<uint32_t>(head, 3);
  put<uint64_t>(head, tensors_.size());
  put<uint64_t>(head, kv_.size());
  for (auto& kv : kv_) {
    put_string(head, kv.key);
    put<uint32_t>(head, kv.type);
    head += kv.bytes;
  }
  uint64_t offset = 0;
  for (auto& t : tensors_) {
    put_string(head, t.name);
    put<uint32_t>(head, static_cast<uint32_t>(t.ne.size()));
    for (int64_t d : t.ne) put<uint64_t>(head, static_cast<uint64_t>(d));
    put<uint32_t>(head, static_cast<uint32_t>(t.type));
    put<uint64_t>(head, offset);
    offset = pad_to(offset + t.nbytes);
  }
  head.resize(pad_to(head.size()), '\0');

  // A per-process temp name: two processes converting the same model do not write one file.
  const std::filesystem::path tmp = path.string() + ".tmp." + std::to_string(::getpid());
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  if (!out) return io_error(path.string() + ": cannot write (" + std::strerror(errno) + ")");
  out.write(head.data(), static_cast<std::streamsize>(head.size()));
  uint64_t total = head.size();
  std::string buf;
  for (auto& t : tensors_) {
    buf.clear();
    t.fill(buf);
    if (buf.size() != t.nbytes) {
      out.close();
      std::filesystem::remove(tmp);
      return internal_error(path.string() + ": tensor " + t.name + " produced " + std::to_string(buf.size()) +
                            " bytes, expected " + std::to_string(t.nbytes));
    }
    buf.resize(pad_to(buf.size()), '\0');
    out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
    total += buf.size();
  }
  out.flush();
  if (!out) {
    out.close();
    std::filesystem::remove(tmp);
    return io_error(path.string() + ": write failed (disk full?)");
  }
  out.close();
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return io_error(path.string() + ": " + ec.message());
  return total;
}

}  // namespace tagmetry
