#pragma once
// Image decoding with the safety rules every command shares: EXIF orientation applied, 8-bit sRGB,
// alpha composited on white, a pixel limit against decompression bombs, and errors that name the file
// and the problem ("img003.png: not an image (truncated PNG)"). Backed by libvips; thread-safe.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "tagmetry/status.h"

namespace tagmetry {

struct ImageInfo {
  int width = 0;   // as stored (before EXIF orientation)
  int height = 0;
  int bands = 0;
  bool has_alpha = false;
  int orientation = 1;  // EXIF orientation tag, 1..8
  std::string format;   // loader name: "jpeg", "png", "webp", "heif", "gif", "tiff", "bmp"…
};

struct DecodeOptions {
  // Refuse images with more pixels than this (checked from the header, before decoding).
  // Pillow warns at 89.5 MP and refuses at 179 MP; we refuse above 178,956,970 like Pillow.
  int64_t max_pixels = 178956970;
  bool apply_orientation = true;
  // When > 0, the decoder may shrink on load (JPEG DCT scaling) as long as the decoded image's longer
  // side stays >= this. Used by taggers that resize to a small side anyway. 0 = full size for load_rgb,
  // the target side for load_padded_square; INT_MAX forces a full-size decode everywhere.
  int min_long_side = 0;
};

// 8-bit RGB pixels, interleaved, row-major (width * height * 3 bytes).
struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;
};

// Reads the header only. Errors for files that are not images, unreadable files, 0-byte files.
Result<ImageInfo> probe_image(const std::filesystem::path& path);

// Decodes to 8-bit RGB with orientation applied and alpha composited on white.
Result<RgbImage> load_rgb(const std::filesystem::path& path, const DecodeOptions& options = {});

// Decodes, pads to a centred white square of side max(w, h) (the odd pixel goes right/bottom), and
// resizes that square to side x side with a bicubic, antialiased kernel (PIL's BICUBIC for downscaling).
// This is the WD14 / WD v3 / JoyTag preprocessing up to channel order and value scaling.
// `original`, when given, receives the image's size after orientation (before padding).
Result<RgbImage> load_padded_square(const std::filesystem::path& path, int side, const DecodeOptions& options = {},
                                    ImageInfo* original = nullptr);

// Decodes every pixel of the image at `path` (nothing is kept) with the rules load_rgb decodes by, and
// returns ok, or the problem that stops a full decode, naming the file, e.g.
//   "x.jpg: corrupt JPEG data (premature end of data segment)", "x.png: truncated or damaged image (…)",
//   "x.jpg: empty file (0 bytes)", "x.png: not an image (unrecognised format)", "x.jpg: image too large (…)".
// A file that passes opens in Pillow (and so in kohya-ss sd-scripts) too. The header alone cannot tell:
// probe_image accepts truncated and corrupt files. JPEGs are decoded at 1/8 scale (DCT scaling still reads
// and checks every entropy-coded byte), so a 1 MP JPEG takes a few milliseconds. Thread-safe.
Status verify_image(const std::filesystem::path& path, const DecodeOptions& options = {});

// verify_image for a file already read into memory; `name` names it in the message.
Status verify_image_bytes(std::string_view bytes, const std::string& name, const DecodeOptions& options = {});

// Same operations on an already decoded image (tests and callers that decode elsewhere).
RgbImage pad_to_square(const RgbImage& image, uint8_t fill = 255);
RgbImage resize_bicubic(const RgbImage& image, int width, int height);

}  // namespace tagmetry
