#pragma once
// Encoding 8-bit RGB images to PNG, WebP or JPEG with no metadata (no EXIF, ICC, XMP or text chunks), as
// `prepare` writes them. Backed by libvips; thread-safe.

#include <filesystem>
#include <string>
#include <string_view>

#include "tagmetry/image.h"
#include "tagmetry/status.h"

namespace tagmetry {

enum class ImageFormat { kPng, kWebp, kJpeg };

struct EncodeOptions {
  ImageFormat format = ImageFormat::kPng;
  int png_compression = 1;  // deflate level 0-9 (6: about Pillow's file size, ~4x the encode time)
  int quality = 95;         // WebP and JPEG quality 1-100
  bool lossless_webp = false;
};

// Parses "png", "webp", "jpg"/"jpeg" (case-insensitive). Errors name the bad value.
Result<ImageFormat> parse_image_format(std::string_view name);

// The file extension for a format, with the dot: ".png", ".webp", ".jpg".
const char* image_format_extension(ImageFormat format);

// Encodes `image` (3-band RGB) to the bytes of a file in `options.format`. `name` is used in errors.
Result<std::string> encode_image(const RgbImage& image, const EncodeOptions& options, const std::string& name = "image");

}  // namespace tagmetry
