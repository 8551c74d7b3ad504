#pragma once
// Writes small valid greyscale PNG files (stored deflate blocks, no compression) for dataset fixtures:
// each image gets its own size and fill value, so sizes and content hashes are known in advance.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace tagmetry::testing {

inline uint32_t png_crc(const std::string& bytes) {
  uint32_t c = 0xffffffffu;
  for (unsigned char b : bytes) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
  }
  return c ^ 0xffffffffu;
}

inline void png_be32(std::string& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out += char((v >> s) & 0xff);
}

inline void png_chunk(std::string& out, const char* type, const std::string& data) {
  png_be32(out, uint32_t(data.size()));
  std::string body = std::string(type, 4) + data;
  out += body;
  png_be32(out, png_crc(body));
}

// Returns the bytes of a width x height 8-bit greyscale PNG filled with `fill`.
inline std::string make_png(int width, int height, uint8_t fill) {
  std::string raw;
  for (int y = 0; y < height; ++y) {
    raw += char(0);  // filter: none
    raw.append(size_t(width), char(fill));
  }
  std::string z = "\x78\x01";
  for (size_t pos = 0; pos < raw.size() || pos == 0;) {
    size_t n = std::min<size_t>(65535, raw.size() - pos);
    bool last = pos + n >= raw.size();
    z += char(last ? 1 : 0);
    z += char(n & 0xff), z += char(n >> 8), z += char(~n & 0xff), z += char((~n >> 8) & 0xff);
    z.append(raw, pos, n);
    pos += n;
    if (last) break;
  }
  uint32_t a = 1, b = 0;
  for (unsigned char c : raw) a = (a + c) % 65521, b = (b + a) % 65521;
  png_be32(z, (b << 16) | a);
  std::string out = "\x89PNG\r\n\x1a\n";
  std::string ihdr;
  png_be32(ihdr, uint32_t(width));
  png_be32(ihdr, uint32_t(height));
  ihdr += std::string("\x08\x00\x00\x00\x00", 5);
  png_chunk(out, "IHDR", ihdr);
  png_chunk(out, "IDAT", z);
  png_chunk(out, "IEND", "");
  return out;
}

inline void write_png(const std::filesystem::path& path, int width, int height, uint8_t fill) {
  std::ofstream(path, std::ios::binary) << make_png(width, height, fill);
}

}  // namespace tagmetry::testing
