#pragma once
// Input images and output listings shared by the prepare tests.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "tagmetry/image.h"
#include "tagmetry/image_encode.h"
#include "test_support.h"

namespace tagmetry::prepare_fixtures {

// Seeded random pixels: no two seeds alike, and it compresses badly (a prepared PNG is about w * h * 3 bytes).
inline RgbImage noise(int w, int h, unsigned seed) {
  std::mt19937 rng(seed);
  RgbImage im{w, h, std::vector<uint8_t>(static_cast<size_t>(w) * h * 3)};
  for (auto& p : im.pixels) p = static_cast<uint8_t>(rng());
  return im;
}

// Writes `im` to `path` encoded as `format` (JPEG at quality 92).
inline void write_image(const std::filesystem::path& path, const RgbImage& im, ImageFormat format = ImageFormat::kPng) {
  auto bytes = encode_image(im, EncodeOptions{.format = format, .quality = 92});
  ASSERT_TRUE(bytes.ok());
  testing::write_all(path, *bytes);
}

// The names in `dir`, sorted.
inline std::vector<std::string> listing(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (auto& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace tagmetry::prepare_fixtures
