#pragma once
// An image's stored width and height read from its first bytes, without decoding: PNG, JPEG, GIF, BMP and
// WebP are parsed directly (a few bytes; JPEG markers walked to the first SOFn), other formats go through
// libvips' header probe (probe_image). For passes that size every image of a folder (stats, lint, the
// gallery). Thread-safe.

#include <cstddef>
#include <cstdint>
#include <filesystem>

#include "tagmetry/image.h"
#include "tagmetry/status.h"

namespace tagmetry {

// An open image file read with pread: its first block once, anything past it on demand. Does not own
// or close the descriptor.
struct ImageHeaderReader {
  int fd = -1;
  unsigned char head[4096];
  size_t head_size = 0;
  bool ok = false;  // the first read worked

  explicit ImageHeaderReader(int fd);
  // The whole file is in head (a short read of a regular file ends at its end).
  bool whole() const { return ok && head_size < sizeof head; }
  // Copies n bytes at pos into out; false when the file is shorter.
  bool get(uint64_t pos, unsigned char* out, size_t n) const;
};

// Sets width and height and returns true when the header is one of the directly read formats.
bool image_size_from_header_bytes(const ImageHeaderReader& reader, int& width, int& height);

// Width and height from an open image: its header, else libvips' probe of the file at path() (called
// only then, so callers build the path lazily). Errors name the file.
template <class PathFn>
Status image_size_from_header(const ImageHeaderReader& reader, PathFn&& path, int& width, int& height) {
  if (image_size_from_header_bytes(reader, width, height) && width > 0 && height > 0) return {};
  auto info = probe_image(path());
  if (!info.ok()) return info.status();
  width = info->width, height = info->height;
  return {};
}

// Reads an image's stored width and height from its header (see above). Errors name the file.
Status read_image_size(const std::filesystem::path& path, int& width, int& height);

}  // namespace tagmetry
