// Image sizes from the first bytes of the file (see image_header.h).
#include "tagmetry/image_header.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace tagmetry {
namespace fs = std::filesystem;

namespace {

uint32_t be32(const unsigned char* p) { return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3]; }
uint16_t be16(const unsigned char* p) { return uint16_t((p[0] << 8) | p[1]); }
uint32_t le32(const unsigned char* p) { return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24); }
uint16_t le16(const unsigned char* p) { return uint16_t(p[0] | (p[1] << 8)); }

}  // namespace

ImageHeaderReader::ImageHeaderReader(int f) : fd(f) {
  ssize_t n = ::pread(fd, head, sizeof head, 0);
  ok = n >= 0;
  head_size = n > 0 ? size_t(n) : 0;
}

bool ImageHeaderReader::get(uint64_t pos, unsigned char* out, size_t n) const {
  if (pos + n <= head_size) {
    std::memcpy(out, head + pos, n);
    return true;
  }
  return ::pread(fd, out, n, off_t(pos)) == ssize_t(n);
}

bool image_size_from_header_bytes(const ImageHeaderReader& r, int& w, int& h) {
  const unsigned char* b = r.head;
  size_t n = std::min<size_t>(r.head_size, 32);
  if (n >= 24 && std::memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0 && std::memcmp(b + 12, "IHDR", 4) == 0) {
    w = int(be32(b + 16)), h = int(be32(b + 20));
    return true;
  }
  if (n >= 10 && (std::memcmp(b, "GIF87a", 6) == 0 || std::memcmp(b, "GIF89a", 6) == 0)) {
    w = le16(b + 6), h = le16(b + 8);
    return true;
  }
  if (n >= 26 && b[0] == 'B' && b[1] == 'M') {
    w = int(le32(b + 18));
    h = std::abs(int32_t(le32(b + 22)));
    return true;
  }
  if (n >= 30 && std::memcmp(b, "RIFF", 4) == 0 && std::memcmp(b + 8, "WEBP", 4) == 0) {
    if (std::memcmp(b + 12, "VP8 ", 4) == 0) {
      w = le16(b + 26) & 0x3fff, h = le16(b + 28) & 0x3fff;
      return true;
    }
    if (std::memcmp(b + 12, "VP8L", 4) == 0) {
      uint32_t bits = le32(b + 21);
      w = int(bits & 0x3fff) + 1, h = int((bits >> 14) & 0x3fff) + 1;
      return true;
    }
    if (std::memcmp(b + 12, "VP8X", 4) == 0) {
      w = int(b[24] | (b[25] << 8) | (b[26] << 16)) + 1;
      h = int(b[27] | (b[28] << 8) | (b[29] << 16)) + 1;
      return true;
    }
    return false;
  }
  if (n >= 4 && b[0] == 0xff && b[1] == 0xd8) {
    // Walk the JPEG markers to the first SOFn.
    uint64_t pos = 2;
    unsigned char m[9];
    for (int guard = 0; guard < 1000; ++guard) {
      if (!r.get(pos, m, 4)) return false;
      if (m[0] != 0xff) return false;
      unsigned char marker = m[1];
      if (marker == 0xff) {  // fill byte
        ++pos;
        continue;
      }
      if (marker == 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker == 0x01) {
        pos += 2;
        continue;
      }
      uint16_t len = be16(m + 2);
      bool sof = marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
      if (sof) {
        if (!r.get(pos + 4, m, 5)) return false;
        h = be16(m + 1), w = be16(m + 3);
        return true;
      }
      if (marker == 0xd9 || marker == 0xda || len < 2) return false;
      pos += 2 + len;
    }
  }
  return false;
}

Status read_image_size(const fs::path& path, int& width, int& height) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error(path.filename().string() + ": cannot open");
  Status s;
  {
    ImageHeaderReader r(fd);
    s = image_size_from_header(r, [&] { return path; }, width, height);
  }
  ::close(fd);
  return s;
}

}  // namespace tagmetry
