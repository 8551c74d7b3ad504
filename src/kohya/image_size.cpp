// Image sizes as kohya-ss sd-scripts reads them (train_util.BaseDataset.get_image_size): imagesize.get
// from imagesize 1.4.1 (sd-scripts' requirements.txt pins it), then Pillow's size when imagesize gives
// no positive width. Ported from imagesize 1.4.1 imagesize.get for the formats kohya loads (PNG, JPEG,
// WebP; GIF too); the others (BMP, TIFF, …) go to the Pillow step, which probe_image answers.
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstring>

#include "tagmetry/image.h"
#include "tagmetry/kohya_buckets.h"

namespace tagmetry {
namespace fs = std::filesystem;

namespace {

// Reads a file through a 16 KiB window with file-position semantics (read / seek like Python's file).
class Reader {
 public:
  explicit Reader(int fd) : fd_(fd) {}
  // Up to n bytes from the current position (fewer at the end of the file).
  std::string read(size_t n) {
    std::string out;
    while (out.size() < n) {
      if (pos_ < start_ || pos_ >= start_ + len_) {
        start_ = pos_;
        ssize_t got = ::pread(fd_, buf_.data(), buf_.size(), static_cast<off_t>(pos_));
        len_ = got > 0 ? static_cast<size_t>(got) : 0;
        if (len_ == 0) break;
      }
      size_t off = pos_ - start_;
      size_t take = std::min(n - out.size(), len_ - off);
      out.append(buf_.data() + off, take);
      pos_ += take;
    }
    return out;
  }
  void seek(int64_t pos) { pos_ = pos < 0 ? 0 : static_cast<uint64_t>(pos); }
  void seek_relative(int64_t delta) { seek(static_cast<int64_t>(pos_) + delta); }

 private:
  int fd_;
  uint64_t pos_ = 0, start_ = 0;
  size_t len_ = 0;
  std::array<char, 16384> buf_{};
};

uint32_t be32(const std::string& s, size_t i) {
  return (uint32_t(uint8_t(s[i])) << 24) | (uint32_t(uint8_t(s[i + 1])) << 16) | (uint32_t(uint8_t(s[i + 2])) << 8) |
         uint8_t(s[i + 3]);
}
uint32_t be16(const std::string& s, size_t i) { return (uint32_t(uint8_t(s[i])) << 8) | uint8_t(s[i + 1]); }
uint32_t le16(const std::string& s, size_t i) { return (uint32_t(uint8_t(s[i + 1])) << 8) | uint8_t(s[i]); }
uint32_t le24(const std::string& s, size_t i) { return le16(s, i) | (uint32_t(uint8_t(s[i + 2])) << 16); }

}  // namespace

Result<std::pair<int, int>> imagesize_get(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error(path.string() + ": cannot open (" + std::strerror(errno) + ")");
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  Reader f(fd);
  const std::string head = f.read(31);
  const size_t size = head.size();
  int64_t width = -1, height = -1;
  auto starts = [&](const char* magic, size_t n) { return size >= n && std::memcmp(head.data(), magic, n) == 0; };
  const std::string name = path.filename().string();
  if (size >= 10 && (starts("GIF87a", 6) || starts("GIF89a", 6))) {
    width = static_cast<int16_t>(le16(head, 6));  // "<hh": signed
    height = static_cast<int16_t>(le16(head, 8));
  } else if (size >= 24 && starts("\x89PNG\r\n\x1a\n", 8) && head.compare(12, 4, "IHDR") == 0) {
    width = be32(head, 16);
    height = be32(head, 20);
  } else if (size >= 16 && starts("\x89PNG\r\n\x1a\n", 8)) {
    width = be32(head, 8);  // "an older PNG version": the first chunk's length and type
    height = be32(head, 12);
  } else if (size >= 2 && starts("\xff\xd8", 2)) {
    f.seek(0);
    int64_t skip = 2;
    int ftype = 0;
    auto invalid = [&] { return corrupt(name + ": imagesize cannot read the JPEG markers (\"Invalid JPEG file\"); kohya stops here"); };
    for (int guard = 0; !(0xc0 <= ftype && ftype <= 0xcf) || ftype == 0xc4 || ftype == 0xc8 || ftype == 0xcc; ++guard) {
      if (guard > 1000000) return invalid();
      f.seek_relative(skip);
      std::string byte = f.read(1);
      while (byte.size() == 1 && uint8_t(byte[0]) == 0xff) byte = f.read(1);
      if (byte.size() != 1) return invalid();
      ftype = uint8_t(byte[0]);
      const std::string len = f.read(2);
      if (len.size() != 2) return invalid();
      skip = static_cast<int64_t>(be16(len, 0)) - 2;
    }
    f.seek_relative(1);  // precision
    const std::string hw = f.read(4);
    if (hw.size() != 4) return invalid();
    height = be16(hw, 0);
    width = be16(hw, 2);
  } else if (size >= 12 && (starts("\x00\x00\x00\x0cjP  \r\n\x87\n", 12) || starts("\x4d\x4d\x00\x2a", 4) ||
                            starts("\x49\x49\x2a\x00", 4) || starts("\x49\x49\x2b\x00", 4))) {
    // JPEG 2000 / TIFF: not formats kohya loads by extension; left to the Pillow step.
  } else if (size >= 12 && head.compare(0, 4, "RIFF") == 0 && head.compare(8, 4, "WEBP") == 0) {
    if (size < 30) return corrupt(name + ": WebP header too short for imagesize (struct.error); kohya stops here");
    const std::string chunk = head.substr(12, 4);
    if (chunk == "VP8 ") {
      width = le16(head, 26);  // imagesize 1.4.1 keeps the two scale bits
      height = le16(head, 28);
    } else if (chunk == "VP8X") {
      width = le24(head, 24);  // the canvas size minus one: imagesize 1.4.1 does not add the one back
      height = le24(head, 27);
    } else if (chunk == "VP8L") {
      const auto b = [&](int i) { return static_cast<uint32_t>(uint8_t(head[21 + i])); };
      width = (((b(1) & 63) << 8) | b(0)) + 1;
      height = (((b(3) & 15) << 10) | (b(2) << 2) | ((b(1) & 192) >> 6)) + 1;
    } else {
      return corrupt(name + ": imagesize: \"Unsupported WebP file\"; kohya stops here");
    }
  }
  return std::make_pair(static_cast<int>(width), static_cast<int>(height));
}

Result<std::pair<int, int>> kohya_image_size(const fs::path& path) {
  TM_ASSIGN_OR_RETURN(auto wh, imagesize_get(path));
  if (wh.first > 0) return wh;
  // "imagesize doesn't work for some images, so use PIL as a fallback"; a failure there gives (0, 0).
  auto info = probe_image(path);
  if (!info.ok()) return info.status();
  return std::make_pair(info->width, info->height);
}

}  // namespace tagmetry
