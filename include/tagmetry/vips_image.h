#pragma once
// For the library's modules, not the tools (image module): libvips plumbing shared by the image, prepare
// and server modules. Every libvips error is turned into a Status here; callers never see a VError.

#include <vips/vips8>

#include <filesystem>
#include <string_view>

#include "tagmetry/image.h"
#include "tagmetry/status.h"

namespace tagmetry::image_internal {

// Initialises libvips once (thread-safe). Returns an error if libvips cannot start.
Status ensure_vips();

// Opens `path` lazily (header read, pixels decoded on demand), checking the pixel limit. With
// `min_long_side` > 0, JPEGs are shrunk on load by a power of two while the longer side stays >= it.
// `header`, when given, receives the stored size (before any shrink) and orientation.
Result<vips::VImage> open_image(const std::filesystem::path& path, const DecodeOptions& options,
                                ImageInfo* header = nullptr);

// open_image for a file already read into memory (`bytes` must outlive the returned image and every
// image made from it): the loader is chosen from the bytes, so the file is neither opened again nor
// probed by every loader in turn. `name` names the file in errors, which are those of open_image.
Result<vips::VImage> open_image_buffer(std::string_view bytes, const std::string& name, const DecodeOptions& options,
                                       ImageInfo* header = nullptr);

// Applies orientation (optional), converts to 8-bit sRGB and composites alpha on white: 3 bands, uchar.
Result<vips::VImage> to_rgb8(const vips::VImage& image, bool apply_orientation, const std::string& name);

// Materialises a 3-band uchar image into an RgbImage (this is where decoding actually happens, so
// truncated files fail here).
Result<RgbImage> materialise(const vips::VImage& image, const std::string& name);

// materialise into `pixels`, which holds image.width() * image.height() * 3 bytes (a buffer the caller
// reuses across images).
Status materialise_into(const vips::VImage& image, uint8_t* pixels, const std::string& name);

// "file.png: <vips message, first line>" as a kCorrupt status.
Status vips_failure(const std::string& name, const std::string& what);

}  // namespace tagmetry::image_internal
